-- Today's P&L (the UTC day): the day's closes net of fees, with its funding.
-- No row: nothing closed and no funding today.
SELECT day, net_pnl, trades, wins, funding
FROM daily_pnl
WHERE day = CAST(CURRENT_DATE AS TEXT);
