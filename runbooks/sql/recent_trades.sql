-- Recent trades: the last 20 closes, newest first. net_pnl is the realised
-- PnL less the fees of the entry share and of the exit.
SELECT ts, symbol, side, qty, entry_price, exit_price, realized_pnl, fees, net_pnl, reason
FROM trades
ORDER BY seq DESC
LIMIT 20;
