# shellcheck shell=bash
# The side-by-side suite of scripts/bench (`--python-server FILE`), sourced by it after its
# helpers are defined; not meant to run on its own.
#
# Each server runs pinned to core 0 (`taskset -c 0`); redis-server and the load tester run
# on core 1; every server gets a fresh redis-server. The question is what each server does
# with one core. The runs are made in rounds (SBS_ROUNDS, 3 by default, 1 with
# BENCH_QUICK=1), each round running every server once, one right after the other: a
# virtual machine's speed drifts by tens of percent over minutes, so only servers measured
# side by side in the same round are compared, and the report takes each server's median
# round and the median of the per-round ratios. Each round:
#
#   1. tic-tac-toe closed loop, 50 rooms, Redis store: the Python server in blocking mode,
#      in async mode, Parlor --before (if given) and Parlor;
#   2. the same on Parlor's memory store (before and after), and the relay floor: a
#      WebSocket server that only relays (loadtest/examples/loopback_floor.rs: one read
#      and two writes per move, no game, no store), the least any server pays for this
#      traffic on this machine;
#   3. 10 000 idle WebSockets on the Redis store (before and after);
#   4. 10 000 players at one action per second each (5 000 rooms, open loop), Redis store
#      (before and after).
#
# After the rounds, when `perf` can count syscall tracepoints here, one more memory-store
# run of Parlor and one of the floor count the socket calls each server makes per action
# (`perf stat -e syscalls:sys_enter_sendto,...`). Counting costs a little CPU per call, so
# these runs are kept apart and their CPU figures are not used.
#
# Server CPU per action = the server's utime + stime in the steady-state window / (the load
# tester's actions per second x the window): the same formula for every server, since the
# Python server exports no counters. Its kernel part (stime alone) is shown beside it: on
# loopback, a socket write also runs the receiver's TCP input and wakes it, all charged to
# the writer, so this part is set by the traffic rather than by the server's code.

SBS_ROOMS=50
if [ "$QUICK" = 1 ]; then
  SBS_IDLE=1000; SBS_PLAYERS=1000; SBS_ROUNDS=${SBS_ROUNDS:-1}
else
  SBS_IDLE=10000; SBS_PLAYERS=10000; SBS_ROUNDS=${SBS_ROUNDS:-3}
fi
ROUNDS=()
for ((r = 1; r <= SBS_ROUNDS; r++)); do ROUNDS+=("$r"); done
SBS_START=$(date +%s)
PYTHON=${PYTHON:-python3}
[ -r "$PYTHON_SERVER" ] || { echo "bench: $PYTHON_SERVER is not readable" >&2; exit 1; }
"$PYTHON" -c 'import redis, websockets' 2>/dev/null || {
  echo "bench: the Python server needs its packages: pip install -r $(dirname "$PYTHON_SERVER")/requirements.txt" >&2
  exit 1
}

if [ "$NPROC" -ge 2 ]; then
  SERVER_WRAP=(taskset -c 0)
  REDIS_WRAP=(taskset -c 1)
  LT_WRAP=(taskset -c 1)
  PINNING="each server pinned to core 0 (\`taskset -c 0\`), redis-server and the load tester to core 1"
else
  SERVER_WRAP=()
  PINNING="not pinned: this machine has one core"
  log "warning: one core only; nothing is pinned"
fi

# A fresh redis-server for the next server under test.
sbs_redis() {
  if [ -n "$REDIS_PID" ]; then stop_pid "$REDIS_PID" 5; fi
  start_redis
}

# Wait until a TCP port on loopback accepts connections (up to 30 s).
wait_port() {
  local port=$1 pid=$2 i
  for ((i = 0; i < 300; i++)); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.1
  done
  return 1
}

# sbs_parlor NAME BINARY redis|memory: a pinned node, the only one under test.
sbs_parlor() {
  local name=$1 bin=$2 store=$3 port pid i store_args=()
  if [ "$store" = redis ]; then store_args=(--redis-url "redis://127.0.0.1:$REDIS_PORT"); fi
  port=$(free_port)
  RUST_LOG=warn "${SERVER_WRAP[@]}" "$bin" --listen "127.0.0.1:$port" "${store_args[@]}" \
    --rate-limit-per-sec 0 --max-connections 20000 --admin-token "$TOKEN" --node-id "$name" \
    >"$WORK/server-$name.log" 2>&1 &
  pid=$!
  PIDS+=("$pid")
  for ((i = 0; i < 300; i++)); do
    if curl -sf --max-time 2 "http://127.0.0.1:$port/readyz" >/dev/null 2>&1; then
      SERVER_PIDS=("$pid")
      SERVER_PORTS=("$port")
      SBS_PORT=$port
      log "parlor $name (pid $pid, $bin) on 127.0.0.1:$port, $store store"
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  tail -n 30 "$WORK/server-$name.log" >&2 || true
  echo "bench: parlor $name did not become ready" >&2
  return 1
}

# sbs_python NAME MODE: the Python server, pinned, on the current redis-server.
sbs_python() {
  local name=$1 mode=$2 port pid
  port=$(free_port)
  "${SERVER_WRAP[@]}" "$PYTHON" "$PYTHON_SERVER" --mode "$mode" --port "$port" \
    --redis-url "redis://127.0.0.1:$REDIS_PORT/0" >"$WORK/server-$name.log" 2>&1 &
  pid=$!
  PIDS+=("$pid")
  if ! wait_port "$port" "$pid"; then
    tail -n 30 "$WORK/server-$name.log" >&2 || true
    echo "bench: the Python server ($mode) did not start" >&2
    return 1
  fi
  # No /metrics: snapshots read only its CPU and Redis.
  SERVER_PIDS=("$pid")
  SERVER_PORTS=()
  SBS_PORT=$port
  log "python $name (pid $pid, --mode $mode) on 127.0.0.1:$port"
}

# floor_run NAME: the relay floor, pinned like a server under test, driven with the same
# rooms and window; its line (moves/s, server CPU per move) goes to $RES/NAME.floor.
floor_run() {
  local name=$1 port pid
  port=$(free_port)
  "${SERVER_WRAP[@]}" "$FLOOR" serve "$port" >"$WORK/server-$name.log" 2>&1 &
  pid=$!
  PIDS+=("$pid")
  if ! wait_port "$port" "$pid"; then
    log "run $name: the relay floor did not start (left out)"
    return 0
  fi
  COUNTER=""
  if [ "${COUNT_CALLS:-0}" = 1 ]; then
    # The driver warms up for 2 s, then measures DURATION s.
    count_calls "$pid" "$((DURATION - 2))" "$RES/$name.calls" 3
  fi
  "${LT_WRAP[@]}" "$FLOOR" drive "$port" "$SBS_ROOMS" "$DURATION" "$pid" >"$RES/$name.floor" 2>"$RES/$name.err" ||
    log "run $name: the floor driver exited with status $?"
  if [ -n "$COUNTER" ]; then wait "$COUNTER" || true; fi
  stop_pid "$pid" 5
  log "run $name: $(cat "$RES/$name.floor")"
}
# floor_us NAME: the floor's server CPU per move (µs), 0 if it did not run.
floor_us() {
  sed -n 's/.*server_cpu_per_move=\([0-9.]*\)us.*/\1/p' "$RES/$1.floor" 2>/dev/null | grep . || echo 0
}
# floor_kernel_us NAME: the kernel part of it.
floor_kernel_us() {
  sed -n 's/.*server_kernel_per_move=\([0-9.]*\)us.*/\1/p' "$RES/$1.floor" 2>/dev/null | grep . || echo 0
}

# Socket calls counted per server under test, when perf can (see can_count_calls).
CALL_EVENTS=syscalls:sys_enter_recvfrom,syscalls:sys_enter_sendto,syscalls:sys_enter_epoll_wait
can_count_calls() {
  command -v perf >/dev/null 2>&1 &&
    perf stat -x, -e "$CALL_EVENTS" -o /dev/null -- true >/dev/null 2>&1
}
# count_calls PID SECS FILE [DELAY]: after DELAY seconds, count PID's socket calls for SECS
# seconds into FILE ("event count" lines), in the background; COUNTER is its pid.
COUNTER=""
count_calls() {
  local pid=$1 secs=$2 file=$3 delay=${4:-0}
  (
    sleep "$delay"
    perf stat -x, -e "$CALL_EVENTS" -p "$pid" -o "$file.raw" -- sleep "$secs"
    awk -F, '$3 ~ /sys_enter_/ { sub(/.*sys_enter_/, "", $3); print $3, $1 }' "$file.raw" >"$file"
  ) >/dev/null 2>&1 &
  COUNTER=$!
}
# calls_per NAME EVENT RATE SECS: NAME's count of EVENT per action at RATE over SECS.
calls_per() {
  local n
  n=$(awk -v e="$2" '$1 == e { print $2 }' "$RES/$1.calls" 2>/dev/null | grep . || echo 0)
  calc "($3 > 0 && $4 > 0) ? $n / ($3 * $4) : 0"
}

sbs_stop() {
  local pid
  for pid in "${SERVER_PIDS[@]}"; do stop_pid "$pid" 15; done
  SERVER_PIDS=()
  SERVER_PORTS=()
}

established() { # TCP connections the server under test has accepted and not closed
  ss -Htn state established "( sport = :$SBS_PORT )" 2>/dev/null | wc -l | tr -d ' '
}

# sbs_play NAME ROOMS [loadtest flags...]: like `play`, for any server: ramp-up is seen on
# the server's established sockets rather than on Parlor's /api/v1/stats.
sbs_play() {
  local name=$1 rooms=$2; shift 2
  local lt_pid deadline ramped
  log "run $name: $rooms rooms, ${DURATION}s (+${WARMUP}s warm-up) $*"
  "${LT_WRAP[@]}" "$LOADTEST" --url "ws://127.0.0.1:$SBS_PORT/ws" --rooms "$rooms" --game tictactoe \
    --duration "${DURATION}s" --warmup "${WARMUP}s" --json "$@" \
    >"$RES/$name.json" 2>"$RES/$name.err" &
  lt_pid=$!
  LT_PID=$lt_pid
  deadline=$((SECONDS + 180))
  while kill -0 "$lt_pid" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do
    [ "$(established)" -ge $((2 * rooms)) ] && break
    sleep 0.2
  done
  ramped=$(date +%s.%N)
  sleep_until "$(calc "$ramped + $WARMUP + 0.5")"
  snapshot "$RES/$name.before"
  COUNTER=""
  if [ "${COUNT_CALLS:-0}" = 1 ]; then
    count_calls "${SERVER_PIDS[0]}" "$((DURATION - 2))" "$RES/$name.calls"
  fi
  sleep_until "$(calc "$ramped + $WARMUP + $DURATION - 1.5")"
  snapshot "$RES/$name.after"
  if [ -n "$COUNTER" ]; then wait "$COUNTER" || true; fi
  wait "$lt_pid" || log "run $name: load tester exited with status $?"
  LT_PID=""
  window "$name"
  log "run $name: $(jv "$name" '"\(.actions_per_sec | floor) actions/s, p99 \(.latency_ms.p99) ms"'), $(fmt "$(cpu_us "$name")" 1) µs server CPU/action"
}

# per_action_us NAME KEY: the window's KEY (CPU seconds) in µs per action, counting
# actions at the tester's rate.
per_action_us() {
  local rate secs cpu
  rate=$(jv "$1" '.actions_per_sec // 0')
  secs=$(wv "$1" window_s)
  cpu=$(wv "$1" "$2")
  calc "($rate > 0 && $secs > 0) ? $cpu / ($rate * $secs) * 1000000 : 0"
}
cpu_us() { per_action_us "$1" server_cpu_s; }       # server CPU (utime + stime)
kernel_us() { per_action_us "$1" server_kernel_s; } # its kernel part (stime alone)
cmds_per_action() { # Redis commands per action, actions counted as in cpu_us
  local rate secs
  rate=$(jv "$1" '.actions_per_sec // 0')
  secs=$(wv "$1" window_s)
  calc "($rate > 0 && $secs > 0) ? $(wv "$1" commands) / ($rate * $secs) : 0"
}
rss_mib() { fmt "$(calc "$(kib "$1") / 1024")" 1; }

# Servers in the order they run: name, label, how to start.
SBS_RUNS=(py-blocking py-async)
[ -n "$BEFORE_BIN" ] && SBS_RUNS+=(parlor-before)
SBS_RUNS+=(parlor)
sbs_label() {
  case $1 in
    py-blocking) echo "Python server, \`--mode blocking\`" ;;
    py-async) echo "Python server, \`--mode async\`" ;;
    parlor-before) echo "Parlor $BEFORE_LABEL (\`RUST_LOG=warn\`)" ;;
    parlor) echo "Parlor $COMMIT (\`RUST_LOG=warn\`)" ;;
  esac
}
sbs_start() { # name store
  case $1 in
    py-blocking) sbs_python "$1" blocking ;;
    py-async) sbs_python "$1" async ;;
    parlor-before) sbs_parlor "$1-$2" "$BEFORE_BIN" "$2" ;;
    parlor) sbs_parlor "$1-$2" "$PARLOR" "$2" ;;
  esac
}
PARLORS=(parlor)
[ -n "$BEFORE_BIN" ] && PARLORS=(parlor-before parlor)

# ---------------------------------------------------------------- the rounds
for r in "${ROUNDS[@]}"; do
  log "round $r of $SBS_ROUNDS"
  # 1. side by side, Redis
  for s in "${SBS_RUNS[@]}"; do
    sbs_redis
    sbs_start "$s" redis
    sbs_play "sbs-$s-r$r" "$SBS_ROOMS"
    sbs_stop
  done
  # 2. memory store
  for s in "${PARLORS[@]}"; do
    sbs_start "$s" memory
    sbs_play "mem-$s-r$r" "$SBS_ROOMS"
    sbs_stop
  done
  if [ -x "$FLOOR" ]; then floor_run "floor-r$r"; fi
  # 3. many players, open loop
  for s in "${PARLORS[@]}"; do
    sbs_redis
    sbs_start "$s" redis
    sleep 1
    rss_kib "${SERVER_PIDS[0]}" >"$RES/open10k-$s-r$r.rss_rest"
    play "open10k-$s-r$r" $((SBS_PLAYERS / 2)) --rate "$SBS_PLAYERS"
    sbs_stop
  done
done

# 4. idle sockets (memory, not CPU: once is enough)
for s in "${PARLORS[@]}"; do
  sbs_redis
  sbs_start "$s" redis
  idle "idle-$s" "$SBS_IDLE" "$IDLE_HOLD"
  sbs_stop
done

# 5. socket calls per action (memory store and floor), in runs of their own
CALLS=0
if can_count_calls; then
  CALLS=1
  COUNT_CALLS=1
  sbs_start parlor memory
  sbs_play calls-parlor "$SBS_ROOMS"
  sbs_stop
  if [ -x "$FLOOR" ]; then floor_run calls-floor; fi
  COUNT_CALLS=0
else
  log "perf cannot count syscall tracepoints here: socket calls per action left out"
fi

SBS_ELAPSED=$(( $(date +%s) - SBS_START ))
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

# ---------------------------------------------------------------- report
# median_of VALUES...: the middle value (the lower middle for an even count).
median_of() { # the mean of the two middle values for an even count
  printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
# median_run PREFIX SERVER [METRIC]: the round whose METRIC (a function of a run name,
# cpu_us by default) is the median of SERVER's rounds; prints that run's name.
median_run() {
  local prefix=$1 server=$2 metric=${3:-cpu_us} r lines=()
  for r in "${ROUNDS[@]}"; do lines+=("$($metric "$prefix-$server-r$r") $prefix-$server-r$r"); done
  printf '%s\n' "${lines[@]}" | sort -g | awk '{ v[NR] = $2 } END { print v[int((NR + 1) / 2)] }'
}
p99_of() { jv "$1" '.latency_ms.p99 // 0'; }
per_player() { # run -> KiB of RSS per player over the node at rest
  calc "($(kib "$1.after.rss") - $(kib "$1.rss_rest")) / $SBS_PLAYERS"
}
ratios=()
for r in "${ROUNDS[@]}"; do
  ratios+=("$(calc "$(cpu_us "sbs-parlor-r$r") > 0 ? $(cpu_us "sbs-py-async-r$r") / $(cpu_us "sbs-parlor-r$r") : 0")")
done
ratio=$(median_of "${ratios[@]}")
ratio_list=$(for x in "${ratios[@]}"; do printf '1/%s, ' "$(fmt "$x" 1)"; done)
ratio_list=${ratio_list%, }
if [ -n "$BEFORE_BIN" ]; then
  cuts=()
  for r in "${ROUNDS[@]}"; do
    cuts+=("$(calc "$(cpu_us "sbs-parlor-before-r$r") > 0 ? (1 - $(cpu_us "sbs-parlor-r$r") / $(cpu_us "sbs-parlor-before-r$r")) * 100 : 0")")
  done
  cut_pct=$(median_of "${cuts[@]}")
fi

BLOCK=$WORK/side-by-side.md
{
  echo "<!-- side-by-side:begin -->"
  echo "## Side by side with the Python server"
  echo
  if [ "$QUICK" = 1 ]; then
    echo "> **Quick run (\`BENCH_QUICK=1\`)**: ${DURATION} s runs; these figures only show that the script works."
    echo
  fi
  echo "Measured by \`scripts/bench --python-server $(basename "$PYTHON_SERVER")\`"
  echo "on $DATE at commit \`$COMMIT\`, in one run of $SBS_ELAPSED s; $PINNING;"
  echo "a fresh \`redis-server\` for each server. Machine: $CPU_MODEL, $NPROC cores, $MEM_TOTAL,"
  echo "$KERNEL, $RUSTC, redis-server $REDIS_VERSION; load average before / after: $LOAD_BEFORE / $LOAD_AFTER."
  echo
  echo "$SBS_ROUNDS rounds, each running every server once in turn. Each row is that server's median"
  echo "round (by CPU per action; by p99 for the open loop); ratios are taken within a round, where"
  echo "the servers ran minutes apart at most, and their median is reported."
  echo
  echo "Tic-tac-toe, closed loop, $SBS_ROOMS rooms (two players each), Redis store; ${WARMUP} s warm-up, ${DURATION} s"
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
  echo "Parlor used **1/$(fmt "$ratio" 1)** of the Python async server's CPU per action (median of"
  echo "the rounds; round by round: $ratio_list)."
  if [ -n "$BEFORE_BIN" ]; then
    if lt 0 "$cut_pct"; then change="$(fmt "$cut_pct" 0) % less"; else change="$(fmt "$(calc "0 - $cut_pct")" 0) % more"; fi
    cut_list=$(for x in "${cuts[@]}"; do printf '%s %%, ' "$(fmt "$x" 0)"; done)
    echo "Against Parlor $BEFORE_LABEL in the same rounds, CPU per action was $change (median of the"
    echo "rounds' cuts: ${cut_list%, })."
  fi
  echo "Parlor's \`EVALSHA\` per write (action or rematch): $(fmt "$(wv "$(median_run sbs parlor)" evalsha_per_write)" 3)"
  echo "(one Redis round trip per write)."
  echo
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
    floors=(); gaps=(); fkernels=(); pkernels=()
    for r in "${ROUNDS[@]}"; do
      floors+=("$(floor_us "floor-r$r")")
      fkernels+=("$(floor_kernel_us "floor-r$r")")
      pkernels+=("$(kernel_us "mem-parlor-r$r")")
      gaps+=("$(calc "$(cpu_us "mem-parlor-r$r") - $(floor_us "floor-r$r")")")
    done
    floor_list=$(for x in "${floors[@]}"; do printf '%s, ' "$(fmt "$x" 1)"; done)
    echo "The relay floor, in the same rounds: \`loadtest/examples/loopback_floor.rs\`, a WebSocket server"
    echo "that only relays (one read and two writes per move, no game, no store, no JSON),"
    echo "pinned and driven the same way, used **$(fmt "$(median_of "${floors[@]}")" 1) µs** per move (rounds: ${floor_list%, } µs)."
    gap=$(median_of "${gaps[@]}")
    if lt "$gap" 0; then
      echo "Parlor's memory store used $(fmt "$(calc "0 - $gap")" 1) µs per action *less* than the floor (median of the rounds):"
      echo "the floor is driven by its own client rather than \`parlor-loadtest\`, and on loopback a write's"
      echo "cost depends on whether it wakes a sleeping reader, so the two are close but not the same traffic."
    else
      echo "That much is kernel and runtime work any server pays for this traffic here; Parlor's"
      echo "memory store used $(fmt "$gap" 1) µs per move above it (median of the rounds)."
    fi
    echo "In the kernel alone (stime), the floor used $(fmt "$(median_of "${fkernels[@]}")" 1) µs per move and Parlor's memory store"
    echo "$(fmt "$(median_of "${pkernels[@]}")" 1) µs (medians of the rounds)."
    echo
  fi
  if [ "$CALLS" = 1 ] && [ -s "$RES/calls-parlor.calls" ]; then
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
    echo "The load tester finished a game every $(fmt "$(calc "$p_games > 0 ? 1 / $p_games : 0")" 2) actions and then asked for a"
    echo "rematch, so per action Parlor reads the move plus a share of rematch requests and writes"
    echo "each resulting frame once to each of the two players: one call per client message and"
    echo "one per recipient, the fewest this traffic allows. Divided over them, the kernel time"
    mkernels=()
    for r in "${ROUNDS[@]}"; do mkernels+=("$(kernel_us "mem-parlor-r$r")"); done
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
log "wrote the side-by-side block of $OUT (${SBS_ELAPSED}s)"
