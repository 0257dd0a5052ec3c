-- Today's P&L (the UTC day, whatever the session's time zone): the day's
-- closes net of fees, with its funding. No row: nothing closed and no
-- funding today.
SELECT day, net_pnl, trades, wins, funding
FROM todays_pnl;
