-- The last 30 UTC days with a close or funding, newest first.
SELECT day, net_pnl, trades, wins, funding
FROM daily_pnl
ORDER BY day DESC
LIMIT 30;
