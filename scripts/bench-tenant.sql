-- Grows the seeded demo tenant into the benchmark's store (run by scripts/bench.py after
-- `comanda seed`): 200 products in one store, each stock-tracked with plenty of stock, the
-- added ones with an optional add-on group of three; 2,000 customers.
--
-- Added products and their first add-on get predictable ids so the load generator (wrk) and
-- the pgbench replay can pick one at random without a lookup query:
--   product n: b0000000-0000-4000-8000-<100000000000 + n>
--   add-on  n: a0000000-0000-4000-8000-<100000000000 + n>   (the first add-on of product n)
--   customer n: phone +55119<10000000 + n>
\set ON_ERROR_STOP on
BEGIN;

CREATE TEMP TABLE bench_ctx ON COMMIT DROP AS
SELECT t.id AS tenant_id, s.id AS store_id
FROM tenants t
JOIN stores s ON s.tenant_id = t.id
WHERE t.slug = 'demo'
ORDER BY s.created_at
LIMIT 1;

INSERT INTO categories (id, tenant_id, name, description, position)
SELECT gen_random_uuid(), tenant_id, 'Cardápio ' || g, 'Categoria do benchmark', 100 + g
FROM bench_ctx, generate_series(1, 5) g;

CREATE TEMP TABLE bench_new ON COMMIT DROP AS
SELECT g AS n,
       ('b0000000-0000-4000-8000-' || (100000000000 + g))::uuid AS product_id,
       ('c0000000-0000-4000-8000-' || (100000000000 + g))::uuid AS group_id
FROM generate_series(1, 200 - (SELECT count(*) FROM products WHERE tenant_id = (SELECT tenant_id FROM bench_ctx))) g;

INSERT INTO products (id, tenant_id, category_id, name, description, price_cents, position, track_stock)
SELECT b.product_id, ctx.tenant_id, c.id, 'Produto ' || b.n,
       'Um produto do cardápio do benchmark, com descrição de tamanho realista.',
       990 + (b.n * 37) % 5000, b.n, TRUE
FROM bench_new b
CROSS JOIN bench_ctx ctx
JOIN (
    SELECT id, row_number() OVER (ORDER BY position) - 1 AS k
    FROM categories
    WHERE tenant_id = (SELECT tenant_id FROM bench_ctx) AND name LIKE 'Cardápio %'
) c ON c.k = b.n % 5;

INSERT INTO addon_groups (id, tenant_id, product_id, name, min_choices, max_choices, position)
SELECT b.group_id, ctx.tenant_id, b.product_id, 'Adicionais', 0, 2, 0
FROM bench_new b CROSS JOIN bench_ctx ctx;

INSERT INTO addons (id, tenant_id, group_id, name, price_cents, position)
SELECT CASE WHEN a = 1 THEN ('a0000000-0000-4000-8000-' || (100000000000 + b.n))::uuid
            ELSE gen_random_uuid() END,
       ctx.tenant_id, b.group_id, 'Adicional ' || a, 200 * a, a
FROM bench_new b CROSS JOIN bench_ctx ctx, generate_series(1, 3) a;

-- Every product of the store tracks stock: the checkout locks and decrements a row per item.
UPDATE products SET track_stock = TRUE WHERE tenant_id = (SELECT tenant_id FROM bench_ctx);

INSERT INTO stock_levels (tenant_id, store_id, product_id, quantity)
SELECT ctx.tenant_id, ctx.store_id, p.id, 1000000
FROM products p CROSS JOIN bench_ctx ctx
WHERE p.tenant_id = ctx.tenant_id
ON CONFLICT (tenant_id, store_id, product_id) DO UPDATE SET quantity = EXCLUDED.quantity;

INSERT INTO customers (id, tenant_id, name, phone)
SELECT gen_random_uuid(), ctx.tenant_id, 'Cliente ' || g, '+55119' || (10000000 + g)
FROM bench_ctx ctx, generate_series(1, 2000) g
ON CONFLICT (tenant_id, phone) DO NOTHING;

COMMIT;

ANALYZE;
