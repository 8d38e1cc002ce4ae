-- A small shop database for the demo source.
CREATE SCHEMA IF NOT EXISTS shop;
CREATE SCHEMA IF NOT EXISTS reporting;
CREATE TYPE shop.order_status AS ENUM ('new', 'paid', 'shipped', 'cancelled');
CREATE TABLE shop.customers (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_email varchar(320) NOT NULL UNIQUE,
    full_name text,
    created_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE shop.customers IS 'People who bought something';
COMMENT ON COLUMN shop.customers.customer_email IS 'Login and contact address';
CREATE TABLE shop.orders (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id bigint NOT NULL REFERENCES shop.customers (id) ON DELETE CASCADE,
    status shop.order_status NOT NULL DEFAULT 'new',
    total numeric(12, 2) NOT NULL CHECK (total >= 0),
    tags text[],
    placed_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX orders_open_idx ON shop.orders (placed_at) WHERE status IN ('new', 'paid');
CREATE TABLE shop.order_lines (
    order_id bigint NOT NULL REFERENCES shop.orders (id) ON DELETE CASCADE,
    line_no integer NOT NULL,
    sku varchar(40) NOT NULL,
    quantity integer NOT NULL DEFAULT 1,
    PRIMARY KEY (order_id, line_no)
);
CREATE MATERIALIZED VIEW reporting.daily_revenue AS
    SELECT date_trunc('day', placed_at) AS day, sum(total) AS revenue FROM shop.orders GROUP BY 1;
CREATE VIEW reporting.open_orders AS SELECT * FROM shop.orders WHERE status IN ('new', 'paid');
