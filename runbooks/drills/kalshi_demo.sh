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
#   BIN=/usr/local/bin DRILL=/tmp/d PORT=18190 runbooks/drills/kalshi_demo.sh
#
# A key pair is made with openssl unless $DRILL holds kalshi.pem and
# kalshi.pub.pem already. Exits non-zero, saying why, if a step fails.
set -euo pipefail
BIN=${BIN:-build/bin}
DRILL=${DRILL:-/tmp/kalshi-drill}
PORT=${PORT:-18090}  # fake-kalshi REST; its stream PORT+1, fake-nws PORT+2
MARKETS=data/kalshi/kalshi_weather_markets_2024-08-16_2025-05-08.csv

fail() { echo "kalshi drill: $*" >&2; exit 1; }
# Waits (at most $3 seconds) until file $1 has a line matching $2.
wait_for() {
  for _ in $(seq $(($3 * 10))); do
    grep -q "$2" "$1" 2>/dev/null && return 0
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
"$BIN/fake-kalshi" --key-id drill --public-key "$DRILL/kalshi.pub.pem" --markets "$MARKETS" \
  --event-date 2025-04-01 --tomorrow --book "KXHIGHNY-25APR01-B59.5=$DRILL/book.json" \
  --port "$PORT" --ws-port $((PORT + 1)) > "$DRILL/fake-kalshi.out" 2>&1 &
"$BIN/fake-nws" --high 60 --port $((PORT + 2)) > "$DRILL/fake-nws.out" 2>&1 &
wait_for "$DRILL/fake-kalshi.out" "^fake-kalshi: " 10
wait_for "$DRILL/fake-nws.out" "^fake-nws: " 10
sed -n 1p "$DRILL/fake-kalshi.out"

env KALSHI_API_BASE="http://127.0.0.1:$PORT/trade-api/v2" \
    KALSHI_WS_URL="ws://127.0.0.1:$((PORT + 1))/trade-api/ws/v2" \
    KALSHI_API_KEY=drill KALSHI_PRIVATE_KEY_PATH="$DRILL/kalshi.pem" \
    WEATHER__NWS_BASE_URL="http://127.0.0.1:$((PORT + 2))" WEATHER__CITIES=NYC \
    RUN__INITIAL_EQUITY=1000 RUN_ENABLE_TRADING=true \
    API__PORT=0 MONITORING__METRICS_PORT=0 MONITORING__ALERTS_ENABLED=false \
  "$BIN/bot" --venue kalshi --mode testnet --ledger "$DRILL/ledger" --logs "$DRILL/logs" \
  > "$DRILL/bot.out" 2>&1 &
BOT=$!
wait_for "$DRILL/logs/bot.log" "strategy_cycle_complete" 60
kill -TERM "$BOT"
wait "$BOT" || fail "the bot exited $? (see $DRILL/bot.out and $DRILL/logs/bot.log)"
cat "$DRILL/bot.out"
"$BIN/replay" decisions --ledger "$DRILL/ledger"
