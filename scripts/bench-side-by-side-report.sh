# shellcheck shell=bash
# The report of the side-by-side suite: turns the results of its runs (the files under
# $RES) into the block between `<!-- side-by-side:begin -->` and `<!-- side-by-side:end -->`
# of $OUT (docs/performance.md by default) and leaves the rest of that file as it is.
# Sourced by scripts/bench after its helpers (fmt, calc, lt, jv, wv, lat, ...) are defined;
# defines functions only. Two callers:
#
#   - scripts/bench-side-by-side.sh, right after its rounds;
#   - `scripts/bench --report-from DIR`, which writes the block again from the work
#     directory of an earlier run kept with BENCH_KEEP=1 (its results/ and the facts of
#     that run in results/run.env) and measures nothing: for changing what the block says
#     without running the suite again.
#
# The block states each performance target against figures of the same run and says
# whether it was met (decision 45): a target relative to a server measured minutes apart
# on the same machine means the same thing on every machine the suite runs on.

# Targets, each checked against figures of the same run.
TARGET_FLOOR_PCT=15 # memory store: CPU per action at most this much above the relay floor
TARGET_PY_RATIO=10  # Redis closed loop: at most 1/this of the Python async server's CPU per action
TARGET_IDLE_KIB=8   # RSS per idle socket (Redis store)
TARGET_PLAYER_KIB=16 # RSS per player at one action per second each (Redis store)
# and p99 under P99_LIMIT ms at one action per second per player (set by scripts/bench)

# Servers in the order they run (the rounds and the report both use these).
SBS_RUNS=(py-blocking py-async)
[ -n "$BEFORE_BIN" ] && SBS_RUNS+=(parlor-before)
SBS_RUNS+=(parlor)
# Parlor again with the results webhook on, to a local receiver that answers 204.
[ "${SBS_WEBHOOK:-1}" = 1 ] && SBS_RUNS+=(parlor-webhook)
PARLORS=(parlor)
[ -n "$BEFORE_BIN" ] && PARLORS=(parlor-before parlor)
sbs_label() {
  case $1 in
    py-blocking) echo "Python server, \`--mode blocking\`" ;;
    py-async) echo "Python server, \`--mode async\`" ;;
    parlor-before) echo "Parlor $BEFORE_LABEL (\`RUST_LOG=warn\`)" ;;
    parlor) echo "Parlor $COMMIT (\`RUST_LOG=warn\`)" ;;
    parlor-webhook) echo "Parlor $COMMIT, results webhook on (\`RUST_LOG=warn\`)" ;;
  esac
}

# floor_us NAME: the floor's server CPU per move (µs), 0 if it did not run.
floor_us() {
  sed -n 's/.*server_cpu_per_move=\([0-9.]*\)us.*/\1/p' "$RES/$1.floor" 2>/dev/null | grep . || echo 0
}
# floor_kernel_us NAME: the kernel part of it.
floor_kernel_us() {
  sed -n 's/.*server_kernel_per_move=\([0-9.]*\)us.*/\1/p' "$RES/$1.floor" 2>/dev/null | grep . || echo 0
}
# calls_per NAME EVENT RATE SECS: NAME's count of EVENT per action at RATE over SECS.
calls_per() {
  local n
  n=$(awk -v e="$2" '$1 == e { print $2 }' "$RES/$1.calls" 2>/dev/null | grep . || echo 0)
  calc "($3 > 0 && $4 > 0) ? $n / ($3 * $4) : 0"
}

# per_action_us NAME KEY: the window's KEY (CPU seconds) in µs per action, counting
# actions at the tester's rate.
per_action_us() {
  local rate secs cpu
  rate=$(jv "$1" '.actions_per_sec // 0')
  secs=$(wv "$1" window_s)
  cpu=$(wv "$1" "$2")
  calc "($rate > 0 && ${secs:-0} > 0) ? ${cpu:-0} / ($rate * $secs) * 1000000 : 0"
}
cpu_us() { per_action_us "$1" server_cpu_s; }       # server CPU (utime + stime)
kernel_us() { per_action_us "$1" server_kernel_s; } # its kernel part (stime alone)
cmds_per_action() { # Redis commands per action, actions counted as in cpu_us
  local rate secs
  rate=$(jv "$1" '.actions_per_sec // 0')
  secs=$(wv "$1" window_s)
  calc "($rate > 0 && ${secs:-0} > 0) ? $(wv "$1" commands) / ($rate * $secs) : 0"
}
rss_mib() { fmt "$(calc "$(kib "$1") / 1024")" 1; }

is_num() { [[ $1 =~ ^[+-]?[0-9]+(\.[0-9]+)?$ ]]; }
# median_of VALUES...: the middle value (the mean of the two middle values for an even count).
median_of() {
  printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
# median_run PREFIX SERVER [METRIC]: the round whose METRIC (a function of a run name,
# cpu_us by default) is the median of SERVER's rounds that gave a figure (the first round
# if none did); prints that run's name.
median_run() {
  local prefix=$1 server=$2 metric=${3:-cpu_us} r v lines=()
  for r in "${ROUNDS[@]}"; do
    v=$($metric "$prefix-$server-r$r")
    if is_num "$v" && lt 0 "$v"; then lines+=("$v $prefix-$server-r$r"); fi
  done
  if [ "${#lines[@]}" -eq 0 ]; then echo "$prefix-$server-r${ROUNDS[0]}"; return; fi
  printf '%s\n' "${lines[@]}" | sort -g | awk '{ v[NR] = $2 } END { print v[int((NR + 1) / 2)] }'
}
p99_of() { jv "$1" '.latency_ms.p99 // 0'; }
p99_ms() { # run -> its p99 in ms, 2 decimals, or "-" when the run left no figure
  local v
  v=$(jv "$1" '.latency_ms.p99 // "-"')
  if is_num "$v"; then fmt "$v" 2; else echo "-"; fi
}
per_player() { # run -> KiB of RSS per player over the node at rest
  calc "($(kib "$1.after.rss") - $(kib "$1.rss_rest")) / $SBS_PLAYERS"
}
signed() { # VALUE DIGITS: the value with its sign, "+13.6" or "-2.0"
  local v
  v=$(fmt "$1" "$2")
  case $v in -* | -) echo "$v" ;; *) echo "+$v" ;; esac
}
# verdict VALUE le|lt|ge LIMIT: **met** or **not met**, or "not measured" when VALUE is not a
# number (a run that failed).
verdict() {
  local v=$1 op=$2 limit=$3 ok
  is_num "$v" || { echo "not measured"; return; }
  v=${v#+}
  case $op in
    le) ! lt "$limit" "$v" && ok=1 ;;
    lt) lt "$v" "$limit" && ok=1 ;;
    ge) ! lt "$v" "$limit" && ok=1 ;;
  esac
  if [ "${ok:-0}" = 1 ]; then echo "**met**"; else echo "**not met**"; fi
}
joined() { # SEP SUFFIX VALUES...: the values joined by SEP, each followed by SUFFIX
  local sep=$1 suffix=$2 out="" v
  shift 2
  for v in "$@"; do out+="${out:+$sep}$v$suffix"; done
  echo "$out"
}

# sbs_targets: the list of targets, each with this run's figures and a verdict.
sbs_targets() {
  local r m f pcts=() inv=() p99s=() under=0 med v idle_kib player_kib m_mem m_async m_parlor
  # Memory store against the relay floor, within each round.
  for r in "${ROUNDS[@]}"; do
    m=$(cpu_us "mem-parlor-r$r"); f=$(floor_us "floor-r$r")
    if lt 0 "$m" && lt 0 "$f"; then pcts+=("$(calc "($m / $f - 1) * 100")"); fi
  done
  m_mem=$(median_run mem parlor)
  if [ "${#pcts[@]}" -gt 0 ]; then
    med=$(fmt "$(median_of "${pcts[@]}")" 1)
    local fmeds=()
    for r in "${ROUNDS[@]}"; do fmeds+=("$(floor_us "floor-r$r")"); done
    echo "- **Memory store within $TARGET_FLOOR_PCT % of the relay floor.** Parlor $(fmt "$(cpu_us "$m_mem")" 1) µs per action,"
    echo "  the floor $(fmt "$(median_of "${fmeds[@]}")" 1) µs (medians of the rounds); Parlor over the floor within each round:"
    echo "  $(for v in "${pcts[@]}"; do printf '%s %%, ' "$(signed "$v" 1)"; done | sed 's/, $//'),"
    echo "  median **$(signed "$med" 1) %** (target ≤ +$TARGET_FLOOR_PCT %): $(verdict "$med" le "$TARGET_FLOOR_PCT")."
  else
    echo "- **Memory store within $TARGET_FLOOR_PCT % of the relay floor.** Not measured: the relay floor did not run."
  fi
  # Redis closed loop against the Python async server, within each round.
  for r in "${ROUNDS[@]}"; do
    m=$(cpu_us "sbs-parlor-r$r")
    if lt 0 "$m"; then inv+=("$(calc "$(cpu_us "sbs-py-async-r$r") / $m")"); fi
  done
  m_async=$(median_run sbs py-async); m_parlor=$(median_run sbs parlor)
  if [ "${#inv[@]}" -gt 0 ]; then
    med=$(fmt "$(median_of "${inv[@]}")" 1)
    echo "- **Redis store at most 1/$TARGET_PY_RATIO of the Python async server's CPU per action.** Parlor"
    echo "  $(fmt "$(cpu_us "$m_parlor")" 1) µs, the Python async server $(fmt "$(cpu_us "$m_async")" 1) µs (medians of the rounds); within each round"
    echo "  $(for v in "${inv[@]}"; do printf '1/%s, ' "$(fmt "$v" 1)"; done | sed 's/, $//'), median **1/$med** (target ≤ 1/$TARGET_PY_RATIO): $(verdict "$med" ge "$TARGET_PY_RATIO")."
  else
    echo "- **Redis store at most 1/$TARGET_PY_RATIO of the Python async server's CPU per action.** Not measured: no Parlor run."
  fi
  idle_kib=$(fmt "$(idle_rss_per_conn idle-parlor)" 1)
  if is_num "$idle_kib"; then idle_kib="**$idle_kib KiB**"; else idle_kib="no figure"; fi
  echo "- **Idle sockets at most $TARGET_IDLE_KIB KiB each** ($SBS_IDLE on the Redis store): $idle_kib: $(verdict "$(fmt "$(idle_rss_per_conn idle-parlor)" 1)" le "$TARGET_IDLE_KIB")."
  m=$(median_run open10k parlor p99_of)
  for r in "${ROUNDS[@]}"; do
    v=$(p99_ms "open10k-parlor-r$r")
    p99s+=("$v")
    if is_num "$v" && lt "$v" "$P99_LIMIT"; then under=$((under + 1)); fi
  done
  echo "- **p99 under $P99_LIMIT ms, $SBS_PLAYERS players at one action per second each.** **$(p99_ms "$m") ms** at the"
  echo "  median round (rounds: $(joined ', ' ' ms' "${p99s[@]}"); under $P99_LIMIT ms in $under of ${#ROUNDS[@]}): $(verdict "$(p99_ms "$m")" lt "$P99_LIMIT")."
  player_kib=$(fmt "$(per_player "$m")" 1)
  if is_num "$(p99_ms "$m")"; then
    echo "- **RSS at most $TARGET_PLAYER_KIB KiB per player** in the same run: **$player_kib KiB**: $(verdict "$player_kib" le "$TARGET_PLAYER_KIB")."
  else
    echo "- **RSS at most $TARGET_PLAYER_KIB KiB per player** in the same run: no figure: not measured."
  fi
}

# sbs_before_after: Parlor's CPU per action against the --before binary, round by round.
# sbs_webhook: what the results webhook costs on the Redis closed loop: node CPU and
# redis-server CPU per action with it on and off (and before), and EVALSHA per write with
# the outbox's own scripts (claims, reports, figures; counted by the node) set apart.
sbs_webhook() {
  case " ${SBS_RUNS[*]} " in *" parlor-webhook "*) ;; *) return 0 ;; esac
  local off on before
  off=$(median_run sbs parlor); on=$(median_run sbs parlor-webhook)
  echo "**With the results webhook on** (every finished game recorded in its move's script and"
  echo "POSTed, signed, to a local receiver answering 204: \`loadtest/examples/webhook_receiver.rs\`,"
  echo "on the tools' core):"
  echo
  echo "| run | node CPU per action | redis-server CPU per action | EVALSHA per write (outbox scripts apart) | outbox scripts per action |"
  echo "|---|---|---|---|---|"
  local s m
  for s in parlor-before parlor parlor-webhook; do
    case " ${SBS_RUNS[*]} " in *" $s "*) ;; *) continue ;; esac
    m=$(median_run sbs "$s")
    printf '| %s | %s µs | %s µs | %s | %s |\n' "$(sbs_label "$s")" "$(fmt "$(cpu_us "$m")" 1)" \
      "$(fmt "$(calc "$(wv "$m" redis_cpu_per_1k) * 1000")" 1)" "$(fmt "$(wv "$m" evalsha_per_write)" 3)" \
      "$(fmt "$(wv "$m" outbox_scripts_per_action)" 3)"
  done
  echo
  if lt 0 "$(cpu_us "$off")" && lt 0 "$(cpu_us "$on")"; then
    echo "Node CPU per action, webhook on / off: **$(fmt "$(calc "$(cpu_us "$on") / $(cpu_us "$off")")" 2)**;"
    echo "redis-server CPU per action, on / off: **$(fmt "$(calc "$(wv "$on" redis_cpu_per_1k) / $(wv "$off" redis_cpu_per_1k)")" 2)** (medians of the rounds)."
    if [ -n "$BEFORE_BIN" ]; then
      # Within each round, against the before build run minutes apart on the same
      # machine: the machine's speed drifts between rounds, far less within one.
      local r b n_off=() n_on=() r_off=() r_on=() n_load=() r_load=()
      for r in "${ROUNDS[@]}"; do
        b="sbs-parlor-before-r$r"
        lt 0 "$(cpu_us "$b")" || continue
        n_off+=("$(fmt "$(calc "$(cpu_us "sbs-parlor-r$r") / $(cpu_us "$b")")" 2)")
        n_on+=("$(fmt "$(calc "$(cpu_us "sbs-parlor-webhook-r$r") / $(cpu_us "$b")")" 2)")
        r_off+=("$(fmt "$(calc "$(wv "sbs-parlor-r$r" redis_cpu_per_1k) / $(wv "$b" redis_cpu_per_1k)")" 2)")
        r_on+=("$(fmt "$(calc "$(wv "sbs-parlor-webhook-r$r" redis_cpu_per_1k) / $(wv "$b" redis_cpu_per_1k)")" 2)")
        if lt 0 "$(cpu_us "sbs-hookload-r$r")"; then
          n_load+=("$(fmt "$(calc "$(cpu_us "sbs-hookload-r$r") / $(cpu_us "$b")")" 2)")
          r_load+=("$(fmt "$(calc "$(wv "sbs-hookload-r$r" redis_cpu_per_1k) / $(wv "$b" redis_cpu_per_1k)")" 2)")
        fi
      done
      if [ "${#n_on[@]}" -gt 0 ]; then
        local med_load="" head="| | webhook off | webhook on |" rule="|---|---|---|" n_cell="" r_cell=""
        if [ "${#n_load[@]}" -gt 0 ]; then
          med_load=$(fmt "$(median_of "${n_load[@]}")" 2)
          head="$head $BEFORE_LABEL + the webhook's HTTP traffic alone |"
          rule="$rule---|"
          n_cell=" **$med_load** ($(joined ', ' '' "${n_load[@]}")) |"
          r_cell=" **$(fmt "$(median_of "${r_load[@]}")" 2)** ($(joined ', ' '' "${r_load[@]}")) |"
        fi
        echo
        echo "Against $BEFORE_LABEL, within each round (median of the rounds; the rounds):"
        echo
        echo "$head"
        echo "$rule"
        echo "| node CPU per action | **$(fmt "$(median_of "${n_off[@]}")" 2)** ($(joined ', ' '' "${n_off[@]}")) | **$(fmt "$(median_of "${n_on[@]}")" 2)** ($(joined ', ' '' "${n_on[@]}")) |$n_cell"
        echo "| redis-server CPU per action | **$(fmt "$(median_of "${r_off[@]}")" 2)** ($(joined ', ' '' "${r_off[@]}")) | **$(fmt "$(median_of "${r_on[@]}")" 2)** ($(joined ', ' '' "${r_on[@]}")) |$r_cell"
        if [ -n "$med_load" ]; then
          echo
          echo "The last column is $BEFORE_LABEL with the webhook floor running beside it on its core"
          echo "(its CPU counted with the node's), POSTing at the pace the webhook run finished games in"
          echo "that round: the webhook's HTTP exchange and its receiver's share of the tools' core, with"
          echo "no outbox at all. It is the least the webhook can cost on this machine. Against the"
          if lt "$med_load" 1.10; then
            echo "node's 10 % budget it leaves $(fmt "$(calc "(1.10 - $med_load) * 100")" 0) points for the outbox and the move log."
          else
            echo "node's 10 % budget it is already over (by $(fmt "$(calc "($med_load - 1.10) * 100")" 0) % of the build before): **that target cannot be met on this machine**"
            echo "by any build that POSTs each game to a receiver sharing the tools' core."
          fi
        fi
      fi
    fi
    echo
  fi
  local posts=() added=() apg
  for r in "${ROUNDS[@]}"; do
    v=$(sed -n 's/.*client_cpu_per_post=\([0-9.]*\)us.*/\1/p' "$RES/hookfloor-r$r.floor" 2>/dev/null)
    if is_num "$v"; then posts+=("$(fmt "$v" 1)"); fi
    apg=$(jv "sbs-parlor-webhook-r$r" '(.actions // 0) / ((.games_finished // 0) | if . == 0 then 1 else . end)')
    if lt 0 "$(cpu_us "sbs-parlor-r$r")" && lt 0 "$(cpu_us "sbs-parlor-webhook-r$r")"; then
      added+=("$(fmt "$(calc "($(cpu_us "sbs-parlor-webhook-r$r") - $(cpu_us "sbs-parlor-r$r")) * $apg")" 1)")
    fi
  done
  if [ "${#posts[@]}" -gt 0 ] && [ "${#added[@]}" -gt 0 ]; then
    echo "Per finished game (the load tester finishes one every $(fmt "$apg" 2) actions), the webhook"
    echo "adds **$(fmt "$(median_of "${added[@]}")" 1) µs** of node CPU (rounds: $(joined ', ' ' µs' "${added[@]}"));"
    echo "Parlor's own sender alone (\`loadtest/examples/webhook_floor.rs\`: sign and POST a body of"
    echo "that size, 16 at a time, pinned like a server, nothing else running) costs"
    echo "**$(fmt "$(median_of "${posts[@]}")" 1) µs** per POST (rounds: $(joined ', ' ' µs' "${posts[@]}")): that much of each game's"
    echo "cost is the HTTP exchange itself, which any server delivering one request per game pays."
    echo
  fi
}

sbs_before_after() {
  local label prefix r b a ratios lo hi below above reading
  echo "| store | CPU per action, before → after (median rounds) | after / before, median | by round | spread | reading |"
  echo "|---|---|---|---|---|---|"
  for prefix in sbs mem; do
    if [ "$prefix" = sbs ]; then label="Redis, closed loop"; else label="memory store"; fi
    ratios=(); below=0; above=0
    for r in "${ROUNDS[@]}"; do
      b=$(cpu_us "$prefix-parlor-before-r$r"); a=$(cpu_us "$prefix-parlor-r$r")
      if lt 0 "$b" && lt 0 "$a"; then
        ratios+=("$(calc "$a / $b")")
        if lt "$a" "$b"; then below=$((below + 1)); elif lt "$b" "$a"; then above=$((above + 1)); fi
      fi
    done
    [ "${#ratios[@]}" -gt 0 ] || continue
    lo=$(printf '%s\n' "${ratios[@]}" | sort -g | head -n 1)
    hi=$(printf '%s\n' "${ratios[@]}" | sort -g | tail -n 1)
    if [ "$below" = "${#ratios[@]}" ]; then reading="lower in every round"
    elif [ "$above" = "${#ratios[@]}" ]; then reading="higher in every round"
    else reading="rounds on both sides of 1: within this run's noise"; fi
    printf '| %s | %s → %s µs | **%s** | %s | %s–%s | %s |\n' "$label" \
      "$(fmt "$(cpu_us "$(median_run "$prefix" parlor-before)")" 1)" "$(fmt "$(cpu_us "$(median_run "$prefix" parlor)")" 1)" \
      "$(fmt "$(median_of "${ratios[@]}")" 2)" "$(for v in "${ratios[@]}"; do printf '%s, ' "$(fmt "$v" 2)"; done | sed 's/, $//')" \
      "$(fmt "$lo" 2)" "$(fmt "$hi" 2)" "$reading"
  done
}

# sbs_report: writes the block and puts it into $OUT.
sbs_report() {
  local BLOCK=$WORK/side-by-side.md s m r list
  {
    echo "<!-- side-by-side:begin -->"
    echo "## Side by side with the Python server"
    echo
    if [ "$QUICK" = 1 ]; then
      echo "> **Quick run (\`BENCH_QUICK=1\`)**: ${DURATION} s runs, $SBS_IDLE sockets and players instead of 10 000;"
      echo "> these figures only show that the script works."
      echo
    fi
    echo "Measured by \`scripts/bench --python-server $(basename "$PYTHON_SERVER")${BEFORE_BIN:+ --before BIN --before-label $BEFORE_LABEL}\`"
    echo "on $DATE at commit \`$COMMIT\`, in one run of $SBS_ELAPSED s; $PINNING;"
    echo "a fresh \`redis-server\` for each server. Machine: $CPU_MODEL, $NPROC cores, $MEM_TOTAL,"
    echo "$KERNEL, $RUSTC, redis-server $REDIS_VERSION; load average before / after: $LOAD_BEFORE / $LOAD_AFTER."
    echo
    echo "$SBS_ROUNDS rounds, each running every server once in turn. Each row is that server's median"
    echo "round (by CPU per action; by p99 for the open loop); ratios are taken within a round, where"
    echo "the servers ran minutes apart at most, and their median is reported."
    echo
    echo "### Targets"
    echo
    echo "Each against figures of this run (decision 45):"
    echo
    sbs_targets
    echo
    if [ -n "$BEFORE_BIN" ]; then
      echo "### Against Parlor $BEFORE_LABEL"
      echo
      echo "Parlor $COMMIT's CPU per action over Parlor $BEFORE_LABEL's, within each round (below 1: less"
      echo "CPU). The spread across the rounds is this run's noise: a change is real when every round"
      echo "agrees on its side of 1."
      echo
      sbs_before_after
      echo
    fi
    echo "### Redis store, closed loop"
    echo
    echo "Tic-tac-toe, $SBS_ROOMS rooms (two players each); ${WARMUP} s warm-up, ${DURATION} s"
    echo "measured. Server CPU per action = the server process's utime + stime in the steady-state"
    echo "window / (actions per second as the load tester counted them × the window); RSS at the"
    echo "end of the window. *Of which kernel* is the stime part: socket reads and writes, where on"
    echo "loopback each write also runs the receiver's TCP input and wake-up."
    echo
    echo "| server | actions/s | server CPU per action | of which kernel | server cores busy | p50 ms | p99 ms | Redis commands / action | errors | RSS |"
    echo "|---|---|---|---|---|---|---|---|---|---|"
    for s in "${SBS_RUNS[@]}"; do
      m=$(median_run sbs "$s")
      printf '| %s | %s | %s µs | %s µs | %s | %s | %s | %s | %s | %s MiB |\n' "$(sbs_label "$s")" \
        "$(rate_of "$m")" "$(fmt "$(cpu_us "$m")" 1)" "$(fmt "$(kernel_us "$m")" 1)" "$(fmt "$(wv "$m" server_cpu_util)" 2)" \
        "$(lat "$m" p50)" "$(lat "$m" p99)" "$(fmt "$(cmds_per_action "$m")" 2)" \
        "$(errors_of "$m")" "$(rss_mib "$m.after.rss")"
    done
    echo
    m=$(median_run sbs parlor)
    echo "Parlor's \`EVALSHA\` per write (action or rematch): $(fmt "$(wv "$m" evalsha_per_write)" 3), of which"
    echo "$(fmt "$(wv "$m" conflicts_per_write)" 3) compare-and-set retries (two writes to one room that crossed: the second"
    echo "runs again on the fresh room); one round trip per write otherwise."
    echo
    sbs_webhook
    echo "### Memory store, same load"
    echo
    echo "| server | actions/s | server CPU per action | of which kernel | server cores busy | p50 ms | p99 ms | errors | RSS |"
    echo "|---|---|---|---|---|---|---|---|---|"
    for s in "${PARLORS[@]}"; do
      m=$(median_run mem "$s")
      printf '| %s | %s | %s µs | %s µs | %s | %s | %s | %s | %s MiB |\n' "$(sbs_label "$s")" \
        "$(rate_of "$m")" "$(fmt "$(cpu_us "$m")" 1)" "$(fmt "$(kernel_us "$m")" 1)" "$(fmt "$(wv "$m" server_cpu_util)" 2)" \
        "$(lat "$m" p50)" "$(lat "$m" p99)" "$(errors_of "$m")" "$(rss_mib "$m.after.rss")"
    done
    echo
    if [ -s "$RES/floor-r${ROUNDS[0]}.floor" ]; then
      local floors=() fkernels=() pkernels=()
      for r in "${ROUNDS[@]}"; do
        floors+=("$(floor_us "floor-r$r")")
        fkernels+=("$(floor_kernel_us "floor-r$r")")
        pkernels+=("$(kernel_us "mem-parlor-r$r")")
      done
      list=$(for s in "${floors[@]}"; do printf '%s, ' "$(fmt "$s" 1)"; done)
      echo "The relay floor, in the same rounds: \`loadtest/examples/loopback_floor.rs\`, a WebSocket server"
      echo "that only relays (one read and two writes per move, and between games the two rematch"
      echo "requests, the offer and the new state; no game, no store, no JSON),"
      echo "pinned and driven the same way, used **$(fmt "$(median_of "${floors[@]}")" 1) µs** per move (rounds: ${list%, } µs):"
      echo "kernel and runtime work any server pays for this traffic here. In the kernel alone (stime),"
      echo "the floor used $(fmt "$(median_of "${fkernels[@]}")" 1) µs per move and Parlor's memory store"
      echo "$(fmt "$(median_of "${pkernels[@]}")" 1) µs (medians of the rounds)."
      echo
    fi
    if [ "$CALLS" = 1 ] && [ -s "$RES/calls-parlor.calls" ]; then
      local prate psecs p_rd p_wr p_ep p_games frate f_rd f_wr mkernels=()
      prate=$(jv calls-parlor '.actions_per_sec // 0')
      psecs=$((DURATION - 2))
      p_rd=$(calls_per calls-parlor recvfrom "$prate" "$psecs")
      p_wr=$(calls_per calls-parlor sendto "$prate" "$psecs")
      p_ep=$(calls_per calls-parlor epoll_wait "$prate" "$psecs")
      p_games=$(jv calls-parlor '(.games_finished // 0) / ((.actions // 0) | if . == 0 then 1 else . end)')
      echo "Socket calls per action, counted by \`perf stat\` in a separate run of each (counting"
      echo "costs a little CPU per call, so these runs' CPU figures are not used):"
      echo
      echo "| server | reads (\`recvfrom\`) | writes (\`sendto\`) | \`epoll_wait\` |"
      echo "|---|---|---|---|"
      printf '| Parlor %s, memory store | %s | %s | %s |\n' "$COMMIT" "$(fmt "$p_rd" 2)" "$(fmt "$p_wr" 2)" "$(fmt "$p_ep" 3)"
      if [ -s "$RES/calls-floor.calls" ]; then
        frate=$(sed -n 's/.*moves\/s=\([0-9.]*\).*/\1/p' "$RES/calls-floor.floor" | grep . || echo 0)
        f_rd=$(calls_per calls-floor recvfrom "$frate" "$psecs")
        f_wr=$(calls_per calls-floor sendto "$frate" "$psecs")
        printf '| the relay floor | %s | %s | %s |\n' "$(fmt "$f_rd" 2)" "$(fmt "$f_wr" 2)" \
          "$(fmt "$(calls_per calls-floor epoll_wait "$frate" "$psecs")" 3)"
      fi
      echo
      for r in "${ROUNDS[@]}"; do mkernels+=("$(kernel_us "mem-parlor-r$r")"); done
      echo "The load tester finished a game every $(fmt "$(calc "$p_games > 0 ? 1 / $p_games : 0")" 2) actions and then one seat asked for a"
      echo "rematch and the other accepted the offer, so per action Parlor reads the move plus a share of rematch requests and writes"
      echo "each resulting frame once to each recipient: one call per client message and one per"
      echo "recipient, the fewest this traffic allows, and the floor's client sends the same messages."
      echo "Divided over them, the kernel time"
      echo "of the memory store's rounds (median) is $(fmt "$(calc "($p_rd + $p_wr) > 0 ? $(median_of "${mkernels[@]}") / ($p_rd + $p_wr) : 0")" 1) µs per socket call."
      echo
    fi
    echo "### $SBS_IDLE idle WebSockets, Redis store"
    echo
    echo "Each socket sent one \`ping\` and got its \`pong\`; RSS read once the node counts them all."
    echo
    echo "| server | connected | connect failures | RSS at rest | RSS held | RSS per socket |"
    echo "|---|---|---|---|---|---|"
    for s in "${PARLORS[@]}"; do
      printf '| %s | %s | %s | %s MiB | %s MiB | %s KiB |\n' "$(sbs_label "$s")" \
        "$(kib "idle-$s.conns_held")" "$(jv "idle-$s" '.connect_failures')" \
        "$(mib "idle-$s.rss_before")" "$(mib "idle-$s.rss_held")" "$(fmt "$(idle_rss_per_conn "idle-$s")" 1)"
    done
    echo
    echo "### $SBS_PLAYERS players at one action per second each, Redis store"
    echo
    echo "$((SBS_PLAYERS / 2)) rooms, open loop at $SBS_PLAYERS actions/s offered. RSS per player = (RSS at the end of"
    echo "the window − RSS at rest) / $SBS_PLAYERS."
    echo
    echo "| server | actions/s | server CPU per action | p50 ms | p99 ms | errors | RSS at rest | RSS under load | RSS per player |"
    echo "|---|---|---|---|---|---|---|---|---|"
    for s in "${PARLORS[@]}"; do
      m=$(median_run open10k "$s" p99_of)
      printf '| %s | %s | %s µs | %s | %s | %s | %s MiB | %s MiB | %s KiB |\n' "$(sbs_label "$s")" \
        "$(rate_of "$m")" "$(fmt "$(cpu_us "$m")" 1)" "$(lat "$m" p50)" \
        "$(lat "$m" p99)" "$(errors_of "$m")" "$(rss_mib "$m.rss_rest")" \
        "$(rss_mib "$m.after.rss")" "$(fmt "$(per_player "$m")" 1)"
    done
    echo
    for s in "${PARLORS[@]}"; do
      list=$(for r in "${ROUNDS[@]}"; do printf '%s ms, ' "$(lat "open10k-$s-r$r" p99)"; done)
      echo "p99 of $(sbs_label "$s") round by round: ${list%, }."
    done
    echo
    echo "Seconds of the window whose own p99 was over $P99_LIMIT ms (the load tester's timeline), round"
    echo "by round: a tail spread over most seconds is a node short of CPU; one in a few seconds is a stall."
    echo
    for s in "${PARLORS[@]}"; do
      list=$(for r in "${ROUNDS[@]}"; do
        printf '%s, ' "$(jv "open10k-$s-r$r" "\"\([.timeline[] | select(.p99_ms > $P99_LIMIT)] | length) of \(.timeline | length)\"")"
      done)
      echo "- $(sbs_label "$s"): ${list%, }"
    done
    echo "<!-- side-by-side:end -->"
  } >"$BLOCK"

  # Replace the block in place, or put it right under the title.
  mkdir -p "$(dirname "$OUT")"
  [ -f "$OUT" ] || printf '# Performance\n' >"$OUT"
  if grep -q '^<!-- side-by-side:begin -->$' "$OUT"; then
    awk -v block="$BLOCK" '
      /^<!-- side-by-side:begin -->$/ { while ((getline line < block) > 0) print line; skip = 1; next }
      /^<!-- side-by-side:end -->$/ { skip = 0; next }
      !skip' "$OUT" >"$WORK/out.md"
  else
    awk -v block="$BLOCK" '
      NR == 1 { print; print ""; while ((getline line < block) > 0) print line; next }
      { print }' "$OUT" >"$WORK/out.md"
  fi
  cp "$WORK/out.md" "$OUT"
  log "wrote the side-by-side block of $OUT"
}
