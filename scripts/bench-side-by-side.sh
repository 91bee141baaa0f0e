# shellcheck shell=bash
# The side-by-side suite of scripts/bench (`--python-server FILE`), sourced by it after its
# helpers are defined; not meant to run on its own. It measures, then writes the block
# between `<!-- side-by-side:begin -->` and `<!-- side-by-side:end -->` of $OUT
# (docs/performance.md unless BENCH_OUT says otherwise) through
# scripts/bench-side-by-side-report.sh, and leaves the rest of that file as it is.
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
#      in async mode, Parlor --before (if given), Parlor, and Parlor with the results
#      webhook on (SBS_WEBHOOK=0 leaves it out) to a local receiver that answers 204
#      (loadtest/examples/webhook_receiver.rs), followed in step 2 by the webhook floor
#      (loadtest/examples/webhook_floor.rs: Parlor's sender alone);
#   2. the same on Parlor's memory store (before and after), and the relay floor: a
#      WebSocket server that only relays (loadtest/examples/loopback_floor.rs: one read
#      and two writes per move, and between games the rematch requests of both seats, the
#      offer and the new state; no game, no store), the least any server pays for this
#      traffic on this machine;
#   3. 10 000 players at one action per second each (5 000 rooms, open loop), Redis store
#      (before and after).
#
# After the rounds: 10 000 idle WebSockets on the Redis store (before and after; memory,
# not CPU, so once is enough), and, when `perf` can count syscall tracepoints here, one
# more memory-store run of Parlor and one of the floor that count the socket calls each
# makes per action (`perf stat -e syscalls:sys_enter_sendto,...`). Counting costs a little
# CPU per call, so these runs are kept apart and their CPU figures are not used.
#
# Server CPU per action = the server's utime + stime in the steady-state window / (the load
# tester's actions per second x the window): the same formula for every server, since the
# Python server exports no counters. Its kernel part (stime alone) is shown beside it: on
# loopback, a socket write also runs the receiver's TCP input and wakes it, all charged to
# the writer, so this part is set by the traffic rather than by the server's code.
#
# The block states each target against this run's own figures (the relay floor, the
# Python async server, the fixed memory and latency limits) with a verdict, and with
# --before the ratio of Parlor's CPU per action to the older binary's round by round.
# The facts of the run are saved in results/run.env, so that with BENCH_KEEP=1 the block
# can be written again from the kept results (`scripts/bench --report-from DIR`).

SBS_ROOMS=50
if [ "$QUICK" = 1 ]; then
  SBS_IDLE=1000; SBS_PLAYERS=1000; SBS_ROUNDS=${SBS_ROUNDS:-1}
else
  SBS_IDLE=10000; SBS_PLAYERS=10000; SBS_ROUNDS=${SBS_ROUNDS:-3}
fi
ROUNDS=()
for ((r = 1; r <= SBS_ROUNDS; r++)); do ROUNDS+=("$r"); done
# shellcheck source=scripts/bench-side-by-side-report.sh
source "$ROOT/scripts/bench-side-by-side-report.sh"
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

# sbs_parlor NAME BINARY redis|memory [flags...]: a pinned node, the only one under test.
sbs_parlor() {
  local name=$1 bin=$2 store=$3 port pid i store_args=()
  shift 3
  if [ "$store" = redis ]; then store_args=(--redis-url "redis://127.0.0.1:$REDIS_PORT"); fi
  port=$(free_port)
  RUST_LOG=warn "${SERVER_WRAP[@]}" "$bin" --listen "127.0.0.1:$port" "${store_args[@]}" \
    --rate-limit-per-sec 0 --max-connections 20000 --admin-token "$TOKEN" --node-id "$name" "$@" \
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
# hookload_run ROUND: the build before the webhook, with beside it (pinned to its core, its
# CPU counted as the server's) the webhook floor POSTing at the pace this round's webhook
# run finished games: the same load plus the webhook's HTTP traffic and nothing of its
# outbox, the least the webhook can cost on this machine with the receiver on the tools'
# core. Run "sbs-hookload-rROUND".
hookload_run() {
  local r=$1 rate fpid
  rate=$(jv "sbs-parlor-webhook-r$r" \
    '((.actions_per_sec // 0) * (.games_finished // 0) / ((.actions // 0) | if . == 0 then 1 else . end)) | floor')
  if ! [ "${rate:-0}" -gt 0 ] 2>/dev/null; then
    log "run sbs-hookload-r$r: no game rate from the webhook run (left out)"
    return 0
  fi
  sbs_redis
  sbs_start parlor-before redis
  "${SERVER_WRAP[@]}" "$HOOK_FLOOR" "$HOOK_URL" $((WARMUP + DURATION + 60)) "$rate" \
    >"$RES/hookload-r$r.floor" 2>"$RES/hookload-r$r.err" &
  fpid=$!
  PIDS+=("$fpid")
  SERVER_PIDS+=("$fpid")
  sbs_play "sbs-hookload-r$r" "$SBS_ROOMS"
  sbs_stop
  echo "$rate" >"$RES/hookload-r$r.rate"
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

sbs_start() { # name store
  case $1 in
    py-blocking) sbs_python "$1" blocking ;;
    py-async) sbs_python "$1" async ;;
    parlor-before) sbs_parlor "$1-$2" "$BEFORE_BIN" "$2" ;;
    parlor) sbs_parlor "$1-$2" "$PARLOR" "$2" ;;
    parlor-webhook) sbs_parlor "$1-$2" "$PARLOR" "$2" --webhook-url "$HOOK_URL" \
      --webhook-secret whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw ;;
  esac
}

# The results webhook's receiver (loadtest/examples/webhook_receiver.rs): answers every
# POST with 204, on core 1 with the tools. It stands for the studio's backend, which runs
# elsewhere in production; it is written in Rust on one thread so that its own CPU
# disturbs redis-server, which shares its core, as little as a receiver can.
HOOK_URL=""
case " ${SBS_RUNS[*]} " in
  *" parlor-webhook "*)
    [ -x "$HOOK_RECEIVER" ] || { echo "bench: $HOOK_RECEIVER is missing" >&2; exit 1; }
    HOOK_PORT=$(free_port)
    "${LT_WRAP[@]}" "$HOOK_RECEIVER" "$HOOK_PORT" >"$WORK/hook.log" 2>&1 &
    PIDS+=("$!")
    HOOK_URL="http://127.0.0.1:$HOOK_PORT/hook"
    wait_port "$HOOK_PORT" "$!" || { echo "bench: the webhook receiver did not start" >&2; exit 1; }
    ;;
esac

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
  if [ -n "$BEFORE_BIN" ] && [ -n "$HOOK_URL" ] && [ -x "$HOOK_FLOOR" ]; then hookload_run "$r"; fi
  # 2. memory store
  for s in "${PARLORS[@]}"; do
    sbs_start "$s" memory
    sbs_play "mem-$s-r$r" "$SBS_ROOMS"
    sbs_stop
  done
  if [ -x "$FLOOR" ]; then floor_run "floor-r$r"; fi
  if [ -n "$HOOK_URL" ] && [ -x "$HOOK_FLOOR" ]; then
    # The webhook floor: Parlor's sender alone, pinned like a server, POSTing to the receiver.
    "${SERVER_WRAP[@]}" "$HOOK_FLOOR" "$HOOK_URL" "$DURATION" >"$RES/hookfloor-r$r.floor" 2>"$RES/hookfloor-r$r.err" ||
      log "run hookfloor-r$r: the webhook floor exited with status $?"
    log "run hookfloor-r$r: $(cat "$RES/hookfloor-r$r.floor" 2>/dev/null)"
  fi
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
# The facts of this run, for the report now and for `scripts/bench --report-from` later.
declare -p DATE COMMIT SBS_ELAPSED PINNING CPU_MODEL NPROC MEM_TOTAL KERNEL RUSTC REDIS_VERSION \
  LOAD_BEFORE LOAD_AFTER QUICK DURATION WARMUP P99_LIMIT SBS_ROUNDS ROUNDS SBS_ROOMS SBS_IDLE \
  SBS_PLAYERS PYTHON_SERVER BEFORE_BIN BEFORE_LABEL CALLS >"$RES/run.env"
sbs_report
log "side-by-side suite done (${SBS_ELAPSED}s)"
