-- The last 10 orders, newest first, each with its latest status.
SELECT placed_at, client_order_id, symbol, side, order_type, purpose, qty, price, stop_price,
       status, filled_qty, avg_fill_price, reason
FROM orders
ORDER BY placed_seq DESC
LIMIT 10;
