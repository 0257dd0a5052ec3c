#!/usr/bin/env bash
# Rehearse a Kalshi demo run on loopback (runbooks/operations.md, "Kalshi
# drill"): fake-kalshi lists the recorded New York markets of 2025-04-01 as
# tomorrow's, with a book on the 59-60 °F bucket (YES bid 0.08, ask 0.10);
# fake-nws forecasts a high of 60 °F; the bot trades them in testnet mode
# for one decision step, stops on SIGTERM, and `replay decisions` derives
# every step again from its ledger. The drill's bot serves its operator API
# and metrics on free ports (printed in its start line) and sends no alert.
# Run from the repository's root:
#
#   runbooks/drills/kalshi_demo.sh            # tools from build/bin, files in /tmp/kalshi-drill
#   BIN=/usr/local/bin DRILL=/tmp/d runbooks/drills/kalshi_demo.sh
#   HOLD=1 runbooks/drills/kalshi_demo.sh     # keep the bot and the fakes up until Ctrl-C
#
# The fakes take free ports (printed). A key pair is made with openssl
# unless $DRILL holds kalshi.pem and kalshi.pub.pem already. Exits
# non-zero, saying why, if a step fails; stops what it started either way.
set -euo pipefail
BIN=${BIN:-build/bin}
DRILL=${DRILL:-/tmp/kalshi-drill}
HOLD=${HOLD:-0}
MARKETS=data/kalshi/kalshi_weather_markets_2024-08-16_2025-05-08.csv

fail() { echo "kalshi drill: $*" >&2; exit 1; }
# Waits (at most $3 seconds) until file $1 has a line matching $2, while
# process $4 lives.
wait_for() {
  for _ in $(seq $(($3 * 10))); do
    grep -q "$2" "$1" 2>/dev/null && return 0
    kill -0 "$4" 2>/dev/null || fail "it stopped before '$2' (see $1)"
    sleep 0.1
  done
  fail "no '$2' in $1 after $3 s"
}

[ -x "$BIN/bot" ] && [ -x "$BIN/fake-kalshi" ] && [ -x "$BIN/fake-nws" ] || fail "no bot, fake-kalshi, fake-nws in $BIN (make build)"
[ -f "$MARKETS" ] || fail "run from the repository's root ($MARKETS not found)"
mkdir -p "$DRILL"
rm -rf "$DRILL/ledger" "$DRILL/logs"
if [ ! -f "$DRILL/kalshi.pem" ]; then
  openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$DRILL/kalshi.pem" 2>/dev/null
  openssl rsa -in "$DRILL/kalshi.pem" -pubout -out "$DRILL/kalshi.pub.pem" 2>/dev/null
fi
# The bucket's book, as Kalshi's GET /markets/{ticker}/orderbook answers it.
cat > "$DRILL/book.json" <<'JSON'
{"orderbook_fp":{"yes_dollars":[["0.0800","100.00"]],"no_dollars":[["0.9000","200.00"]]}}
JSON

trap 'kill $(jobs -p) 2>/dev/null || true' EXIT
# With HOLD=1 the fakes get sessions of their own, so the Ctrl-C that stops
# the bot does not take them down under it (the EXIT trap stops them).
SPAWN=""
[ "$HOLD" = 1 ] && SPAWN=setsid
$SPAWN "$BIN/fake-kalshi" --key-id drill --public-key "$DRILL/kalshi.pub.pem" --markets "$MARKETS" \
  --event-date 2025-04-01 --tomorrow --book "KXHIGHNY-25APR01-B59.5=$DRILL/book.json" \
  --port 0 --ws-port 0 > "$DRILL/fake-kalshi.out" 2>&1 &
KALSHI=$!
$SPAWN "$BIN/fake-nws" --high 60 --port 0 > "$DRILL/fake-nws.out" 2>&1 &
NWS=$!
wait_for "$DRILL/fake-kalshi.out" "^fake-kalshi: [0-9]* markets of" 10 "$KALSHI"
wait_for "$DRILL/fake-nws.out" "^fake-nws: forecast high" 10 "$NWS"
sed -n 1p "$DRILL/fake-kalshi.out"
# fake-kalshi: 30 markets of 2026-12-08 at http://127.0.0.1:P/trade-api/v2, stream ws://127.0.0.1:Q/trade-api/ws/v2
REST=$(sed -n '1s/.* at \(http[^,]*\), stream .*/\1/p' "$DRILL/fake-kalshi.out")
STREAM=$(sed -n '1s/.*, stream \(ws:.*\)$/\1/p' "$DRILL/fake-kalshi.out")
NWS_URL=$(sed -n '1s/.* at \(http.*\)$/\1/p' "$DRILL/fake-nws.out")

env KALSHI_API_BASE="$REST" KALSHI_WS_URL="$STREAM" \
    KALSHI_API_KEY=drill KALSHI_PRIVATE_KEY_PATH="$DRILL/kalshi.pem" \
    WEATHER__NWS_BASE_URL="$NWS_URL" WEATHER__CITIES=NYC \
    RUN__INITIAL_EQUITY=1000 RUN_ENABLE_TRADING=true MONITORING__LOG_CYCLES=true \
    API__PORT=0 MONITORING__METRICS_PORT=0 MONITORING__ALERTS_ENABLED=false \
  "$BIN/bot" --venue kalshi --mode testnet --ledger "$DRILL/ledger" --logs "$DRILL/logs" \
  > "$DRILL/bot.out" 2>&1 &
BOT=$!
wait_for "$DRILL/logs/bot.log" "strategy_cycle_complete" 60 "$BOT"
if [ "$HOLD" = 1 ]; then
  sed -n 1p "$DRILL/bot.out"
  echo "kalshi drill: fake-kalshi at $REST (admin routes /_admin/...), fake-nws at $NWS_URL; Ctrl-C stops all"
  trap 'kill -TERM "$BOT" 2>/dev/null || true' INT
else
  kill -TERM "$BOT"
fi
status=0
while :; do  # a Ctrl-C interrupts the wait while the bot is still stopping
  wait "$BOT" && status=0 || status=$?
  kill -0 "$BOT" 2>/dev/null || break
done
[ "$status" = 0 ] || fail "the bot exited $status (see $DRILL/bot.out and $DRILL/logs/bot.log)"
cat "$DRILL/bot.out"
"$BIN/replay" decisions --ledger "$DRILL/ledger"
