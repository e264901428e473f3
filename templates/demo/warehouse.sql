-- The demo's sample warehouse: the raw landing tables of a small online shop, as the
-- extracts left them (no constraints, as raw layers usually are), with defects planted
-- on purpose. Every count below is exact and deterministic; templates/demo/defects.yaml
-- lists what the quality run must find, and `dana demo` checks that it does.
-- Dates are relative to the moment the demo runs (SQLite 'now', UTC): customers keep
-- signing up until two hours ago, but orders stopped loading three days ago.

CREATE TABLE customers (
    customer_id  INTEGER,
    email        TEXT,
    full_name    TEXT,
    country_code TEXT,
    segment      TEXT,
    signed_up_at TIMESTAMP
);

CREATE TABLE products (
    product_id   INTEGER,
    sku          TEXT,
    product_name TEXT,
    category     TEXT,
    unit_price   REAL
);

CREATE TABLE orders (
    order_id     INTEGER,
    customer_id  INTEGER,
    order_date   DATE,
    ordered_at   TIMESTAMP,
    status       TEXT,
    channel      TEXT
);

CREATE TABLE order_items (
    order_id     INTEGER,
    line_number  INTEGER,
    product_id   INTEGER,
    quantity     INTEGER,
    unit_price   REAL
);

-- 240 customers, one signing up every five hours, the latest two hours ago.
INSERT INTO customers
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 240)
SELECT
    i,
    'customer' || i || '@example.com',
    CASE i % 8 WHEN 0 THEN 'Ada' WHEN 1 THEN 'Grace' WHEN 2 THEN 'Alan' WHEN 3 THEN 'Edsger'
               WHEN 4 THEN 'Barbara' WHEN 5 THEN 'Donald' WHEN 6 THEN 'Frances' ELSE 'Ken' END
    || ' ' ||
    CASE i % 7 WHEN 0 THEN 'Lovelace' WHEN 1 THEN 'Hopper' WHEN 2 THEN 'Turing' WHEN 3 THEN 'Dijkstra'
               WHEN 4 THEN 'Liskov' WHEN 5 THEN 'Knuth' ELSE 'Allen' END,
    CASE i % 6 WHEN 0 THEN 'DE' WHEN 1 THEN 'FR' WHEN 2 THEN 'GB' WHEN 3 THEN 'NL' WHEN 4 THEN 'ES' ELSE 'IT' END,
    CASE i % 3 WHEN 2 THEN 'business' ELSE 'consumer' END,
    datetime('now', '-' || ((240 - i) * 5 + 2) || ' hours')
FROM n;

-- 40 products in five categories.
INSERT INTO products
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 40)
SELECT
    i,
    'SKU-' || printf('%04d', i),
    CASE i % 5 WHEN 0 THEN 'Linen shirt' WHEN 1 THEN 'Ceramic mug' WHEN 2 THEN 'Garden hose'
               WHEN 3 THEN 'Wooden puzzle' ELSE 'Paperback' END || ' #' || i,
    CASE i % 5 WHEN 0 THEN 'apparel' WHEN 1 THEN 'home' WHEN 2 THEN 'garden' WHEN 3 THEN 'toys' ELSE 'books' END,
    round(4.99 + (i * 37) % 120, 2)
FROM n;

-- 1,200 orders spread over the 60 days that end three days ago.
INSERT INTO orders
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1200)
SELECT
    i,
    1 + (i * 7919) % 240,
    date('now', '-' || (3 + (i * 13) % 60) || ' days'),
    datetime(date('now', '-' || (3 + (i * 13) % 60) || ' days'),
             '+' || (8 + i % 12) || ' hours', '+' || ((i * 17) % 60) || ' minutes'),
    CASE WHEN i % 20 = 0 THEN 'cancelled' WHEN i % 9 = 0 THEN 'returned' ELSE 'delivered' END,
    CASE i % 3 WHEN 0 THEN 'web' WHEN 1 THEN 'app' ELSE 'store' END
FROM n;

-- One to four lines per order (3,000 lines), priced at the product's price.
INSERT INTO order_items
WITH RECURSIVE l(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM l WHERE n < 4)
SELECT
    o.order_id,
    l.n,
    p.product_id,
    1 + (o.order_id + l.n) % 5,
    p.unit_price
FROM orders AS o
JOIN l ON l.n <= 1 + o.order_id % 4
JOIN products AS p ON p.product_id = 1 + (o.order_id * 31 + l.n * 7) % 40;

-- ===== Planted defects (counts must match templates/demo/defects.yaml) =====

-- Duplicate keys: 3 customers were exported twice by a CRM merge.
INSERT INTO customers
SELECT customer_id, 'second.' || email, full_name, country_code, segment, signed_up_at
FROM customers WHERE customer_id IN (17, 42, 99);

-- NULLs in a required column: 5 customers have no e-mail.
UPDATE customers SET email = NULL WHERE customer_id IN (5, 60, 120, 180, 233);

-- Out-of-range values: 2 prices had their sign flipped by a currency conversion.
UPDATE products SET unit_price = -unit_price WHERE product_id IN (7, 31);

-- Orphan foreign keys: 8 orders point at customers 9001-9008, who do not exist.
UPDATE orders SET customer_id = 9000 + order_id / 150 WHERE order_id % 150 = 0;

-- Orphan foreign keys: 5 order lines point at products 501-505, which do not exist.
UPDATE order_items SET product_id = 500 + order_id / 240
WHERE line_number = 1 AND order_id % 240 = 0;

-- Out-of-range values: 6 order lines have a quantity of 0 or 999.
UPDATE order_items SET quantity = CASE order_id WHEN 444 THEN 999 ELSE 0 END
WHERE line_number = 1 AND order_id IN (11, 222, 333, 444, 555, 666);

-- Duplicate keys: 4 order lines were loaded twice (same order_id and line_number).
INSERT INTO order_items
SELECT * FROM order_items WHERE line_number = 1 AND order_id IN (13, 26, 39, 52);

-- Stale partitions: the order extract stopped three days ago, so the last daily
-- partitions (order_date = yesterday and later) are empty and the newest ordered_at is
-- more than 24 hours old. Nothing to plant: the orders above simply end there.
