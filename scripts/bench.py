#!/usr/bin/env python3
"""Comanda's benchmark (docs/performance.md#targets), run by `scripts/bench` (`just bench`).

Prepares a database with a 200-product store, starts the release server, loads it from wrk on
loopback and prints one table (requests/s, p50, p99, error rate, server peak RSS per scenario),
then replays the checkout's own SQL with pgbench and prints the ratios docs/performance.md#targets sets targets
for. Correctness is checked on the way: no stock below zero, every 201 is an order, a product
with 100 units sells exactly 100 under contention. Standard library only.

Settings (environment): BENCH_DURATION seconds per scenario (15), BENCH_CONNECTIONS wrk
connections (32), BENCH_PORT (18080), BENCH_DATABASE (comanda_bench), BENCH_PG
(postgres://postgres@127.0.0.1:5432), BENCH_PG_LOG (the PostgreSQL server log the replay is
captured from), DATABASE_POOL_SIZE (10, also pgbench's client count).
"""

from __future__ import annotations

import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
RELEASE = TARGET / "release"
LOADGEN = TARGET / "loadgen" / "release" / "comanda-loadgen"
DATABASE = os.environ.get("BENCH_DATABASE", "comanda_bench")
PG_BASE = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432").rstrip("/")
DATABASE_URL = f"{PG_BASE}/{DATABASE}"
PORT = int(os.environ.get("BENCH_PORT", "18080"))
DURATION = int(os.environ.get("BENCH_DURATION", "15"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "32"))
POOL_SIZE = int(os.environ.get("DATABASE_POOL_SIZE", "10"))
PG_LOG = os.environ.get("BENCH_PG_LOG", "/var/log/postgresql/postgresql-15-main.log")
BASE_URL = f"http://127.0.0.1:{PORT}"
REPLAY_SCRIPT = TARGET / "bench" / "checkout-replay.sql"
ONE_STATEMENT_SCRIPT = TARGET / "bench" / "one-statement-checkout.sql"
WORK = TARGET / "bench"
TENANT = "demo"

# Predictable ids of the products scripts/bench-tenant.sql adds (see there).
PRODUCT_ID = "b0000000-0000-4000-8000-{:d}"
ADDON_ID = "a0000000-0000-4000-8000-{:d}"
ID_BASE = 100000000000
PHONE = "+55119{:d}"
PHONE_BASE = 10000000
CUSTOMERS = 2000
# The client is 1.2 km from the demo store: first delivery band, no geocoding.
CLIENT = {"lat": -23.5705, "lng": -46.6450}
ADDRESS = {
    "cep": "01310-200",
    "street": "Avenida Paulista",
    "number": "2000",
    "district": "Bela Vista",
    "city": "São Paulo",
    "state": "SP",
}


def log(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)


def psql(sql: str, database: str = DATABASE) -> str:
    """Runs SQL and answers the unaligned, tuples-only output."""
    done = subprocess.run(
        ["psql", f"{PG_BASE}/{database}", "-v", "ON_ERROR_STOP=1", "-Atq", "-c", sql],
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip()


def settle() -> None:
    """What the scenario before left to do (dirty pages, WAL, dead rows) is done now, not inside
    the next measurement: on two shared cores a checkpoint or an autovacuum landing in a 15 s
    run decides its p99 (docs/performance.md#what-was-found)."""
    psql("CHECKPOINT")
    psql("VACUUM (ANALYZE)")


def http(method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{BASE_URL}{path}", data=data, method=method)
    request.add_header("X-Tenant", TENANT)
    if data is not None:
        request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


# --- the database --------------------------------------------------------------------------


def prepare_database() -> str:
    """The bench database with the seeded demo tenant (a dozen products); its store's id."""
    log(f"recreating database {DATABASE}")
    psql(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)", "postgres")
    psql(f"CREATE DATABASE {DATABASE}", "postgres")
    env = dict(os.environ, DATABASE_URL=DATABASE_URL, RUST_LOG="warn")
    subprocess.run([RELEASE / "comanda", "seed"], check=True, env=env, stdout=subprocess.DEVNULL)
    return psql(
        "SELECT s.id FROM stores s JOIN tenants t ON t.id = s.tenant_id "
        f"WHERE t.slug = '{TENANT}' ORDER BY s.created_at LIMIT 1"
    )


def grow_tenant(store: str) -> int:
    """The demo store grown to 200 products (scripts/bench-tenant.sql); how many were added."""
    subprocess.run(
        ["psql", DATABASE_URL, "-q", "-f", ROOT / "scripts" / "bench-tenant.sql"],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    added = int(psql("SELECT count(*) FROM products WHERE id::text LIKE 'b0000000-%'"))
    total = psql(
        "SELECT count(*) FROM products p JOIN tenants t ON t.id = p.tenant_id "
        f"WHERE t.slug = '{TENANT}'"
    )
    log(f"store {store}: {total} products ({added} added), {CUSTOMERS} customers")
    return added


# --- the server ----------------------------------------------------------------------------


class Server:
    def __init__(self) -> None:
        env = dict(
            os.environ,
            DATABASE_URL=DATABASE_URL,
            DATABASE_POOL_SIZE=str(POOL_SIZE),
            HOST="127.0.0.1",
            PORT=str(PORT),
            RUST_LOG="warn",
            LOG_FORMAT="json",
            RATE_LIMIT_ENABLED="false",
            BACKGROUND_WORKERS="false",
            AUTH_SECRET="bench-auth-secret-that-is-long-enough-000",
            ORDER_TRACKING_SECRET="bench-tracking-secret-long-enough-00000",
        )
        for unwanted in ("REDIS_URL", "RATE_LIMIT_REDIS_URL", "TRUSTED_HOSTS", "OTEL_EXPORTER_OTLP_ENDPOINT"):
            env.pop(unwanted, None)
        self.log_file = tempfile.NamedTemporaryFile(prefix="comanda-bench-server-", suffix=".log", delete=False)
        self.process = subprocess.Popen(
            [RELEASE / "comanda-server"], env=env, stdout=self.log_file, stderr=subprocess.STDOUT
        )
        for _ in range(200):
            if self.process.poll() is not None:
                sys.exit(f"bench: the server stopped at start-up; its log is {self.log_file.name}")
            try:
                status, _ = http("GET", "/health")
                if status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.1)
        sys.exit(f"bench: the server did not answer /health; its log is {self.log_file.name}")

    def reset_peak_memory(self) -> None:
        # Writing 5 to clear_refs resets VmHWM (Linux), so each scenario reports its own peak.
        try:
            Path(f"/proc/{self.process.pid}/clear_refs").write_text("5")
        except OSError:
            pass

    def peak_memory_mib(self) -> float:
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        match = re.search(r"VmHWM:\s+(\d+) kB", status)
        return int(match.group(1)) / 1024 if match else float("nan")

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


# --- load with wrk -------------------------------------------------------------------------

LUA_COMMON = r"""
local threads = {}
local next_id = 0

function setup(thread)
  next_id = next_id + 1
  thread:set("thread_id", next_id)
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(os.time() * 1000 + thread_id)
  ok2xx, created, conflicts, others = 0, 0, 0, 0
end

function response(status, headers, body)
  if status == 201 then created = created + 1 end
  if status >= 200 and status < 300 then ok2xx = ok2xx + 1
  elseif status == 409 then conflicts = conflicts + 1
  else others = others + 1 end
end

function done(summary, latency, requests)
  local sums = {ok2xx = 0, created = 0, conflicts = 0, others = 0}
  for _, thread in ipairs(threads) do
    for name, _ in pairs(sums) do sums[name] = sums[name] + thread:get(name) end
  end
  local errors = summary.errors
  io.write(string.format(
    "BENCH requests=%d duration_us=%d p50_us=%d p99_us=%d ok2xx=%d created=%d conflicts=%d others=%d socket_errors=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    sums.ok2xx, sums.created, sums.conflicts, sums.others,
    errors.connect + errors.read + errors.write + errors.timeout))
end
"""

LUA_ORDER_BODY = r"""
local function order_body(product)
  local customer = math.random(1, %(customers)d)
  return string.format(
    '{"store_id":"%(store)s","fulfillment":"delivery",' ..
    '"customer":{"name":"Cliente %%d","phone":"+55119%%d"},' ..
    '"lat":%(lat)s,"lng":%(lng)s,"address":%(address)s,' ..
    '"items":[{"product_id":"b0000000-0000-4000-8000-%%d","quantity":1,' ..
    '"addons":[{"addon_id":"a0000000-0000-4000-8000-%%d","quantity":1}]}],' ..
    '"payment_method":"pix"}',
    customer, %(phone_base)d + customer, %(id_base)d + product, %(id_base)d + product)
end
"""


def lua_script(store: str, products: int, scenario: str) -> str:
    values = {
        "store": store,
        "customers": CUSTOMERS,
        "phone_base": PHONE_BASE,
        "id_base": ID_BASE,
        "lat": CLIENT["lat"],
        "lng": CLIENT["lng"],
        "address": json.dumps(ADDRESS, ensure_ascii=False),
    }
    headers = 'wrk.headers["X-Tenant"] = "demo"\nwrk.headers["Content-Type"] = "application/json"\n'
    if scenario != "catalog-identity":
        # What browsers send.
        headers += 'wrk.headers["Accept-Encoding"] = "gzip, deflate, br"\n'
    if scenario == "health":
        body = 'wrk.method = "GET"\nwrk.path = "/health"\n'
    elif scenario in ("catalog", "catalog-identity"):
        body = f'wrk.method = "GET"\nwrk.path = "/catalog?store_id={store}"\n'
    elif scenario == "quote":
        quote = {"store_id": store, "address": ADDRESS, **CLIENT}
        body = 'wrk.method = "POST"\nwrk.path = "/shipping/quote"\nwrk.body = [[%s]]\n' % json.dumps(quote, ensure_ascii=False)
    else:
        path, pick = {
            "preview": ("/checkout/preview", f"math.random(1, {products})"),
            "checkout": ("/checkout", f"math.random(1, {products})"),
            "checkout-hot": ("/checkout", "1"),
            "sell-out": ("/checkout", "2"),
        }[scenario]
        body = LUA_ORDER_BODY % values + (
            "function request()\n"
            f'  return wrk.format("POST", "{path}", nil, order_body({pick}))\n'
            "end\n"
        )
    return headers + body + LUA_COMMON


def run_wrk(server: Server, store: str, products: int, scenario: str, seconds: int, connections: int) -> dict:
    with tempfile.NamedTemporaryFile("w", prefix=f"bench-{scenario}-", suffix=".lua", delete=False) as script:
        script.write(lua_script(store, products, scenario))
    server.reset_peak_memory()
    done = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "-s", script.name, BASE_URL],
        check=True,
        capture_output=True,
        text=True,
    )
    os.unlink(script.name)
    line = next((l for l in done.stdout.splitlines() if l.startswith("BENCH ")), None)
    if line is None:
        sys.exit(f"bench: wrk printed no summary for {scenario}:\n{done.stdout}\n{done.stderr}")
    figures = {key: int(value) for key, value in (pair.split("=") for pair in line.split()[1:])}
    figures["rps"] = figures["requests"] / (figures["duration_us"] / 1e6)
    # Timeouts and broken connections are failures too; wrk counts them apart from responses.
    attempts = figures["requests"] + figures["socket_errors"]
    failed = attempts - figures["ok2xx"]
    figures["error_rate"] = failed / attempts if attempts else 1.0
    figures["rss_mib"] = server.peak_memory_mib()
    return figures


# --- the pgbench replay --------------------------------------------------------------------

LOG_LINE = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d(?:\.\d+)? \S+ \[(?P<pid>\d+)\] (?P<who>\S*@\S*) (?P<level>[A-Z]+):  (?P<text>.*)$"
)


def read_statements(offset: int) -> list[tuple[str, dict[int, str]]]:
    """The statements logged for DATABASE from `offset` on, with their bound parameters."""
    with open(PG_LOG, encoding="utf-8", errors="replace") as handle:
        handle.seek(offset)
        lines = handle.read().splitlines()
    messages: list[list[str]] = []  # [who, level, text]
    for line in lines:
        match = LOG_LINE.match(line)
        if match:
            messages.append([match["who"], match["level"], match["text"]])
        elif messages and line.startswith("\t"):
            messages[-1][2] += "\n" + line[1:]
    statements: list[tuple[str, dict[int, str]]] = []
    for who, level, text in messages:
        if not who.endswith(f"@{DATABASE}"):
            continue
        if level == "LOG":
            match = re.match(r"(?:statement|execute [^:]*): (.*)", text, re.S)
            if match:
                statements.append((match.group(1).strip(), {}))
        elif level == "DETAIL" and text.startswith("parameters: ") and statements:
            statements[-1] = (statements[-1][0], parse_parameters(text[len("parameters: "):]))
    return statements


def parse_parameters(text: str) -> dict[int, str]:
    """`$1 = 'a', $2 = NULL` into {1: "'a'", 2: "NULL"} (values stay SQL literals)."""
    parameters = {}
    for match in re.finditer(r"\$(\d+) = (NULL|'(?:[^']|'')*')", text):
        parameters[int(match.group(1))] = match.group(2)
    return parameters


def bind(sql: str, parameters: dict[int, str]) -> str:
    return re.sub(r"\$(\d+)\b", lambda m: parameters.get(int(m.group(1)), m.group(0)), sql)


def logged_by(action) -> list[tuple[str, dict[int, str]]]:
    """The statements the bench database logged while `action` ran (waiting, briefly, for a
    log written through a collector to catch up)."""
    offset = os.path.getsize(PG_LOG)
    action()
    statements, seen = [], -1
    for _ in range(40):
        statements = read_statements(offset)
        if len(statements) == seen:
            break
        seen = len(statements)
        time.sleep(0.05)
    return statements


def expect(status: int, answer: tuple[int, dict], what: str) -> None:
    if answer[0] != status:
        sys.exit(f"bench: {what} answered {answer[0]}: {answer[1]}")


def capture(store: str) -> tuple[list[str], int, int]:
    """Grows the tenant and captures, from the PostgreSQL log: the catalog's statements before
    and after it grew and once cached, and two checkouts (three items, then one). Answers the
    second checkout's SQL with its parameters bound, when it started (ms since the epoch, to
    tell the ids it generated) and how many products were added."""
    if not os.access(PG_LOG, os.R_OK):
        sys.exit(f"bench: cannot read the PostgreSQL log {PG_LOG} (set BENCH_PG_LOG)")
    psql(f"ALTER DATABASE {DATABASE} SET log_statement = 'all'", "postgres")
    server = Server()
    catalog = f"/catalog?store_id={store}"
    try:
        small = logged_by(lambda: expect(200, http("GET", catalog), "the catalog"))
        products = grow_tenant(store)
        large = logged_by(lambda: expect(200, http("GET", catalog), "the catalog"))
        cached = logged_by(lambda: expect(200, http("GET", catalog), "the catalog"))
        CAPTURED["catalog_small"], CAPTURED["catalog"], CAPTURED["catalog_cached"] = (
            len(small),
            len(large),
            len(cached),
        )
        warm_up = logged_by(
            lambda: expect(201, http("POST", "/checkout", checkout_body(store, (1, 2, 3), 1)), "the warm-up checkout")
        )
        CAPTURED["detail_3_items"] = read_back(warm_up)
        # Values the server reads back (RETURNING) are made distinctive so that where they are
        # used later can be found by value: the order number and the stock left.
        psql(f"UPDATE tenant_order_counters SET last_number = {CAPTURE_COUNTER}")
        psql(
            f"UPDATE stock_levels SET quantity = {CAPTURE_STOCK} "
            f"WHERE product_id = '{PRODUCT_ID.format(ID_BASE + CAPTURE_PRODUCT)}'"
        )
        started_ms = int(time.time() * 1000) - 1
        captured = logged_by(
            lambda: expect(
                201,
                http("POST", "/checkout", checkout_body(store, (CAPTURE_PRODUCT,), CAPTURE_CUSTOMER)),
                "the captured checkout",
            )
        )
    finally:
        server.stop()
        psql(f"ALTER DATABASE {DATABASE} RESET log_statement", "postgres")
    statements = [bind(sql, parameters) for sql, parameters in captured]
    CAPTURED["checkout"] = len(statements)
    CAPTURED["detail"] = read_back(captured)
    return statements, started_ms, products


def read_back(statements: list[tuple[str, dict[int, str]]]) -> int:
    """How many statements followed the order's writing (its COMMIT, or the order statement
    when it is a transaction of its own): reading the order back."""
    texts = [sql for sql, _ in statements]
    written = [i for i, sql in enumerate(texts) if sql == "COMMIT" or "INSERT INTO orders" in sql]
    if not written:
        sys.exit("bench: a captured checkout wrote no order; is BENCH_PG_LOG the right log?")
    return len(texts) - written[-1] - 1


CAPTURE_PRODUCT = 4
# Statement counts seen in the capture, for the N+1 check.
CAPTURED: dict[str, int] = {}
CAPTURE_CUSTOMER = 4
CAPTURE_COUNTER = 7340000
CAPTURE_STOCK = 987654
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def generated_here(uuid: str, since_ms: int) -> bool:
    """A UUIDv7 minted at or after `since_ms`: an id the captured request created."""
    digits = uuid.replace("-", "")
    return digits[12] == "7" and int(digits[:12], 16) >= since_ms


def split_list(text: str) -> list[str]:
    """`'a', 'b,c', NULL` into its items; commas inside literals stay."""
    items, current, quoted = [], "", False
    for char in text:
        if char == "'":
            quoted = not quoted
        if char == "," and not quoted:
            items.append(current.strip())
            current = ""
        else:
            current += char
    items.append(current.strip())
    return items


def returned_now(statement: str) -> dict[str, str]:
    """What a RETURNING statement returned, read back from the rows it left (nothing has
    written to them since the capture)."""
    update = re.match(r"UPDATE (\S+) SET .*? WHERE (.*) RETURNING (.*)$", statement, re.S)
    upsert = re.match(
        r"INSERT INTO (\S+) \((.*?)\) VALUES \((.*)\) ON CONFLICT \((.*?)\) DO UPDATE .* RETURNING (.*)$",
        statement,
        re.S,
    )
    if update:
        table, where, returning = update.groups()
    elif upsert:
        table, columns, values, conflict, returning = upsert.groups()
        value_of = dict(zip(split_list(columns), split_list(values)))
        where = " AND ".join(f"{column} = {value_of[column]}" for column in split_list(conflict))
    else:
        sys.exit(f"bench: cannot tell what this statement returned:\n{statement}")
    columns = [column.strip() for column in returning.split(",")]
    row = psql(f"SELECT {returning} FROM {table} WHERE {where}").split("|")
    return {column.split(".")[-1].strip('"'): value for column, value in zip(columns, row)}


def pgbench_script(statements: list[str], since_ms: int, products: int) -> str:
    """The captured checkout as a pgbench script: a random product and customer per
    transaction, fresh ids for the rows it creates, values read back with RETURNING carried
    through pgbench variables (`\\gset`)."""
    product = str(ID_BASE + CAPTURE_PRODUCT)
    phone = PHONE.format(PHONE_BASE + CAPTURE_CUSTOMER)
    header = [
        f"\\set product random({ID_BASE + 1}, {ID_BASE + products})",
        f"\\set customer random({PHONE_BASE + 1}, {PHONE_BASE + CUSTOMERS})",
    ]
    fresh: dict[str, str] = {}
    carried: dict[str, str] = {}
    body = []
    for index, statement in enumerate(statements):
        statement = re.sub(rf"(?<=-){product}\b", ":product", statement)
        statement = statement.replace(phone, "+55119:customer")
        for original, variable in carried.items():
            pattern = re.escape(original) if UUID.fullmatch(original) else rf"(?<![\w.]){re.escape(original)}(?![\w.])"
            statement = re.sub(pattern, variable, statement)
        for uuid in UUID.findall(statement):
            if generated_here(uuid, since_ms) and uuid not in fresh:
                name = f"u{len(fresh) + 1}"
                header.append(f"\\set {name}a random(10000000, 99999999)")
                header.append(f"\\set {name}b random(100000000000, 999999999999)")
                fresh[uuid] = f":{name}a-0000-4000-8000-:{name}b"
        statement = UUID.sub(lambda m: fresh.get(m.group(0), m.group(0)), statement)
        # The order statement (a WITH) answers only the server; single writes may return
        # values later statements use.
        if " RETURNING " in statement and not statement.lstrip().upper().startswith("WITH"):
            prefix = f"r{index}_"
            for column, value in returned_now(statements[index]).items():
                if not UUID.fullmatch(value) and abs(int(value)) < 1000:
                    sys.exit(f"bench: {column} = {value} is too common a value to follow")
                carried[value] = f":{prefix}{column}"
            body.append(f"{statement} \\gset {prefix}")
        else:
            body.append(f"{statement};")
    return "\n".join(header + body) + "\n"


def run_pgbench(script: str, clients: int, seconds: int, path: Path = REPLAY_SCRIPT, mode: str = "simple") -> float:
    # Kept after the run, to read what was replayed.
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(script)
    command = ["pgbench", "-n", "-M", mode, "-f", str(path), "-j", "2", DATABASE_URL]
    check = subprocess.run(command[:-1] + ["-c", "1", "-t", "1", DATABASE_URL], capture_output=True, text=True)
    if check.returncode != 0 or "number of failed transactions: 0" not in check.stdout:
        sys.exit(f"bench: the pgbench script fails ({path}):\n{check.stdout}{check.stderr}")
    done = subprocess.run(
        command[:-1] + ["-c", str(clients), "-T", str(seconds), DATABASE_URL],
        capture_output=True,
        text=True,
    )
    match = re.search(r"tps = ([\d.]+)", done.stdout)
    if done.returncode != 0 or match is None:
        sys.exit(f"bench: pgbench failed ({path}):\n{done.stdout}{done.stderr}")
    return float(match.group(1))


# --- the one-statement checkout ------------------------------------------------------------

# What the one-statement checkout writes in each table, by column: SQL over its earlier steps
# (`stock`, `customer`, `number`, `placed`, `item`) and pgbench's `:product` and `:customer`.
# The column lists come from the schema (information_schema): a required column missing here,
# or a column here the schema no longer has, stops the run, so the statement keeps writing
# what a checkout writes as the schema moves.
ONE_STATEMENT_VALUES: dict[str, dict[str, str]] = {
    "customers": {
        "id": "gen_random_uuid()",
        "tenant_id": ":tenant",
        "name": "'Cliente ' || :customer",
        "phone": "'+55119' || :customer",
    },
    "tenant_order_counters": {"tenant_id": ":tenant", "last_number": "1"},
    "orders": {
        "id": "gen_random_uuid()",
        "tenant_id": ":tenant",
        "number": "number.last_number",
        "store_id": ":store",
        "customer_id": "customer.id",
        "customer_name": "'Cliente ' || :customer",
        "status": "'pending'",
        "fulfillment": "'delivery'",
        "subtotal_cents": "2190",
        "discount_cents": "0",
        "shipping_fee_cents": "500",
        "total_cents": "2690",
        "campaign_ids": "'{}'",
    },
    "order_items": {
        "id": "gen_random_uuid()",
        "tenant_id": ":tenant",
        "order_id": "placed.id",
        "product_id": ":product_id",
        "product_name": "'Produto ' || :product",
        "quantity": "1",
        "unit_price_cents": "2190",
        "line_total_cents": "2190",
        "notes": "''",
        "position": "0",
    },
    "order_item_addons": {
        "id": "gen_random_uuid()",
        "tenant_id": ":tenant",
        "order_item_id": "item.id",
        "addon_id": ":addon_id",
        "addon_name": "'Adicional 1'",
        "group_name": "'Adicionais'",
        "quantity": "1",
        "unit_price_cents": "200",
    },
    "order_payments": {
        "order_id": "placed.id",
        "tenant_id": ":tenant",
        "method": "'pix'",
        "amount_cents": "2690",
    },
    "order_deliveries": {
        "order_id": "placed.id",
        "tenant_id": ":tenant",
        "cep": "'01310-200'",
        "street": "'Avenida Paulista'",
        "number": "'2000'",
        "district": "'Bela Vista'",
        "city": "'São Paulo'",
        "state": "'SP'",
        "latitude": "-23.5705",
        "longitude": "-46.645",
        "distance_km": "1.2",
        "fee_cents": "500",
        "eta_minutes": "30",
        "source": "'coordinates'",
    },
    "order_status_history": {
        "id": "gen_random_uuid()",
        "tenant_id": ":tenant",
        "order_id": "placed.id",
        "to_status": "'pending'",
    },
    "stock_movements": {
        "id": "gen_random_uuid()",
        "tenant_id": ":tenant",
        "store_id": ":store",
        "product_id": "stock.product_id",
        "delta": "-1",
        "quantity_after": "stock.quantity",
        "reason": "'sale'",
        "order_id": "placed.id",
    },
    "outbox": {
        "id": "gen_random_uuid()",
        "tenant_id": ":tenant",
        "kind": "job.kind",
        "payload": "jsonb_build_object('order_id', placed.id, 'number', placed.number, 'store_id', :store)",
    },
}


def schema_columns(table: str, values: dict[str, str]) -> list[str]:
    """The table's columns the statement writes, in the schema's order; stops the run when the
    schema and ONE_STATEMENT_VALUES disagree."""
    rows = psql(
        "SELECT column_name, is_nullable, column_default IS NOT NULL FROM information_schema.columns "
        f"WHERE table_schema = 'public' AND table_name = '{table}' ORDER BY ordinal_position"
    ).splitlines()
    columns = [row.split("|") for row in rows]
    names = [name for name, _, _ in columns]
    unknown = [column for column in values if column not in names]
    missing = [name for name, nullable, has_default in columns if nullable == "NO" and has_default == "f" and name not in values]
    if unknown or missing:
        sys.exit(f"bench: the one-statement checkout is out of date for {table}: unknown {unknown}, missing {missing}")
    return [name for name in names if name in values]


def one_statement_checkout(store: str, products: int) -> str:
    """Every row a checkout writes, in one statement, for pgbench: a product and a customer at
    random per transaction, the per-tenant counter for the order number."""
    tenant = psql(f"SELECT id FROM tenants WHERE slug = '{TENANT}'")
    replace = {
        ":tenant": f"'{tenant}'::uuid",
        ":store": f"'{store}'::uuid",
        ":product_id": "('b0000000-0000-4000-8000-' || :product)::uuid",
        ":addon_id": "('a0000000-0000-4000-8000-' || :product)::uuid",
    }

    def insert(table: str, source: str = "", conflict: str = "", returning: str = "") -> str:
        values = ONE_STATEMENT_VALUES[table]
        columns = schema_columns(table, values)
        expressions = []
        for column in columns:
            expression = values[column]
            for name, sql in replace.items():
                expression = expression.replace(name, sql)
            expressions.append(expression)
        select = f"SELECT {', '.join(expressions)}" + (f" FROM {source}" if source else "")
        return f"INSERT INTO {table} ({', '.join(columns)}) {select}{conflict}{returning}"

    steps = [
        ("stock", "UPDATE stock_levels SET quantity = quantity - 1, updated_at = now() "
                  f"WHERE tenant_id = {replace[':tenant']} AND store_id = {replace[':store']} "
                  f"AND product_id = {replace[':product_id']} RETURNING product_id, quantity"),
        ("customer", insert("customers", conflict=" ON CONFLICT (tenant_id, phone) DO UPDATE SET updated_at = now()", returning=" RETURNING id")),
        ("number", insert("tenant_order_counters", source="customer", conflict=" ON CONFLICT (tenant_id) DO UPDATE SET last_number = tenant_order_counters.last_number + 1", returning=" RETURNING last_number")),
        ("placed", insert("orders", source="number, customer", returning=" RETURNING id, number")),
        ("item", insert("order_items", source="placed", returning=" RETURNING id")),
        ("addon", insert("order_item_addons", source="item")),
        ("payment", insert("order_payments", source="placed")),
        ("delivery", insert("order_deliveries", source="placed")),
        ("history", insert("order_status_history", source="placed")),
        ("movement", insert("stock_movements", source="placed, stock")),
        ("jobs", insert("outbox", source="placed, (VALUES ('whatsapp.order_confirmation'), ('telegram.new_order'), ('webpush.new_order')) AS job (kind)")),
    ]
    statement = "WITH " + ",\n".join(f"{name} AS (\n  {sql}\n)" for name, sql in steps) + "\nSELECT number FROM placed;"
    header = [
        f"\\set product random({ID_BASE + 1}, {ID_BASE + products})",
        f"\\set customer random({PHONE_BASE + 1}, {PHONE_BASE + CUSTOMERS})",
    ]
    return "\n".join(header) + "\n" + statement.replace("\n", " ") + "\n"


def checkout_body(store: str, products: tuple[int, ...], customer: int) -> dict:
    return {
        "store_id": store,
        "fulfillment": "delivery",
        "customer": {"name": f"Cliente {customer}", "phone": PHONE.format(PHONE_BASE + customer)},
        **CLIENT,
        "address": ADDRESS,
        "items": [
            {
                "product_id": PRODUCT_ID.format(ID_BASE + product),
                "quantity": 1,
                "addons": [{"addon_id": ADDON_ID.format(ID_BASE + product), "quantity": 1}],
            }
            for product in products
        ],
        "payment_method": "pix",
    }


# Scenarios loaded again in open loop, at half the maximum the closed loop measured.
OPEN_LOOP = [("preview", "/checkout/preview"), ("checkout", "/checkout")]

SCENARIOS = [
    ("health", "GET /health"),
    ("catalog", "GET /catalog (200 products, gzip)"),
    ("catalog-identity", "GET /catalog (200 products, uncompressed)"),
    ("quote", "POST /shipping/quote (coordinates)"),
    ("preview", "POST /checkout/preview"),
    ("checkout", "POST /checkout (spread)"),
    ("checkout-hot", "POST /checkout (one hot product)"),
]


def answered_201() -> int:
    """How many `POST /checkout` the server answered 201, by its own metrics. wrk drops the
    requests in flight when its time is up, but the server still answers them."""
    metrics = urllib.request.urlopen(f"{BASE_URL}/metrics", timeout=10).read().decode()
    match = re.search(
        r'^comanda_http_requests_total\{method="POST",route="/checkout",status="201"\} (\d+)$',
        metrics,
        re.M,
    )
    return int(match.group(1)) if match else 0


def settled_orders(expected: int) -> int:
    """The order count once requests still in flight are done (bounded wait)."""
    count = -1
    for _ in range(100):
        count = int(psql("SELECT count(*) FROM orders")) - CAPTURED_ORDERS
        if count == expected and answered_201() == expected:
            break
        time.sleep(0.1)
    return count


def check_orders(received: int) -> list[str]:
    """Every 201 is exactly one order; stock moved by what was sold and never below zero."""
    problems = []
    answered = answered_201()
    orders = settled_orders(answered)
    answered = answered_201()
    if orders != answered or not received <= answered <= received + 2 * CONNECTIONS:
        problems.append(
            f"{orders} orders, {answered} answers 201 by the server, {received} received by wrk"
        )
    negative = int(psql("SELECT count(*) FROM stock_levels WHERE quantity < 0"))
    if negative:
        problems.append(f"{negative} stock rows below zero")
    drift = psql(
        "SELECT count(*) FROM stock_levels s "
        "LEFT JOIN (SELECT product_id, sum(quantity) AS sold FROM order_items GROUP BY product_id) i "
        "ON i.product_id = s.product_id "
        "WHERE s.product_id::text LIKE 'b0000000-%' "
        f"AND s.quantity + coalesce(i.sold, 0) <> CASE WHEN s.product_id = "
        f"'{PRODUCT_ID.format(ID_BASE + CAPTURE_PRODUCT)}' THEN {CAPTURE_STOCK} ELSE 1000000 END"
    )
    if int(drift):
        problems.append(f"{drift} products whose stock does not match what was sold")
    log(f"orders: {orders} orders for {answered} answers 201 ({received} reached wrk before it stopped)")
    return problems


# The warm-up and the captured checkout.
CAPTURED_ORDERS = 2


def sell_out(server: Server, store: str, products: int) -> str | None:
    """A product with 100 units under 32 concurrent buyers sells exactly 100."""
    product = PRODUCT_ID.format(ID_BASE + 2)
    psql(f"UPDATE stock_levels SET quantity = 100 WHERE product_id = '{product}'")
    before = int(psql(f"SELECT count(*) FROM order_items WHERE product_id = '{product}'"))
    answered_before = answered_201()
    figures = run_wrk(server, store, products, "sell-out", 3, CONNECTIONS)
    settled_orders(answered_201())
    figures["created"] = answered_201() - answered_before
    left = int(psql(f"SELECT quantity FROM stock_levels WHERE product_id = '{product}'"))
    sold = int(psql(f"SELECT count(*) FROM order_items WHERE product_id = '{product}'")) - before
    # Back in stock for the pgbench replay, which picks any product.
    psql(f"UPDATE stock_levels SET quantity = 1000000 WHERE product_id = '{product}'")
    unexpected = figures["others"] + figures["socket_errors"]
    if (figures["created"], sold, left, unexpected) != (100, 100, 0, 0):
        return (
            f"sell-out: {figures['created']} answers 201, {sold} sold, {left} left, "
            f"{unexpected} answers neither 2xx nor 409 or no answer"
        )
    log(f"sell-out: 100 units, {figures['requests']} attempts: 100 sold, the rest 409 out_of_stock")
    return None


# --- open loop --------------------------------------------------------------------------


def order_bodies(store: str, products: int, count: int = 5000) -> Path:
    """Checkout bodies for the open-loop driver, one per line: a random product of the grown
    menu (with its first add-on) and a random customer each, as wrk's scenarios send."""
    rng = random.Random(20261130)
    WORK.mkdir(parents=True, exist_ok=True)
    path = WORK / "order-bodies.jsonl"
    with path.open("w") as handle:
        for _ in range(count):
            body = checkout_body(store, (rng.randint(1, products),), rng.randint(1, CUSTOMERS))
            handle.write(json.dumps(body, ensure_ascii=False) + "\n")
    return path


def open_loop(server: Server, path: str, bodies: Path, rate: float, seconds: int) -> dict:
    """`rate` requests per second for `seconds`, sent on schedule whatever the answers; the
    latency of each counted from when it was due. A 3 s run at the same rate first, not counted:
    the generator's connections are opened and the server's pool is warm, as in a steady state."""
    def run(duration: int) -> subprocess.CompletedProcess:
        return subprocess.run(
            [
                LOADGEN, "--target", f"127.0.0.1:{PORT}", "--method", "POST", "--path", path,
                "--header", f"X-Tenant: {TENANT}", "--bodies", str(bodies),
                "--rate", f"{rate:.1f}", "--duration", str(duration),
            ],
            check=True,
            capture_output=True,
            text=True,
        )

    run(3)
    server.reset_peak_memory()
    done = run(seconds)
    line = next((l for l in done.stdout.splitlines() if l.startswith("LOADGEN ")), None)
    if line is None:
        sys.exit(f"bench: the load generator printed no summary:\n{done.stdout}\n{done.stderr}")
    figures = {key: int(value) for key, value in (pair.split("=") for pair in line.split()[1:])}
    figures["rate"] = rate
    figures["rss_mib"] = server.peak_memory_mib()
    return figures


# --- imports -------------------------------------------------------------------------------

IMPORTED = 100_000


def import_files(store: str) -> tuple[Path, Path]:
    """100,000 customers and 100,000 one-item orders of theirs, as the original system exports
    them (São Paulo local times, amounts in reais)."""
    WORK.mkdir(parents=True, exist_ok=True)
    customers, orders = WORK / "import-customers.csv", WORK / "import-orders.csv"
    with customers.open("w") as handle:
        handle.write("name,phone,email,notes\n")
        for n in range(1, IMPORTED + 1):
            handle.write(f"Cliente Importado {n},+55119{30000000 + n},cliente{n}@example.com,\n")
    with orders.open("w") as handle:
        handle.write("number,created_at,store,customer_name,customer_phone,status,product,quantity,unit_price,shipping_fee\n")
        for n in range(1, IMPORTED + 1):
            day, minute = 1 + n % 28, n % 1440
            handle.write(
                f"{5_000_000 + n},2025-03-{day:02d} {minute // 60:02d}:{minute % 60:02d},{store},"
                f"Cliente Importado {n},+55119{30000000 + n},delivered,Produto {n % 200},"
                f"{1 + n % 3},\"{10 + n % 50},90\",\"5,00\"\n"
            )
    return customers, orders


def timed_import(kind: str, path: Path) -> float:
    """Rows per second of `comanda import` for the file (the whole command, file read included)."""
    env = dict(os.environ, DATABASE_URL=DATABASE_URL, RUST_LOG="warn")
    started = time.monotonic()
    done = subprocess.run(
        [RELEASE / "comanda", "import", kind, str(path), "--tenant", TENANT],
        env=env,
        capture_output=True,
        text=True,
    )
    seconds = time.monotonic() - started
    if done.returncode != 0:
        sys.exit(f"bench: importing {kind} failed:\n{done.stdout}{done.stderr}")
    summary = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else ""
    if f"{IMPORTED} created" not in summary:
        sys.exit(f"bench: importing {kind} did not create {IMPORTED} rows: {summary}")
    return IMPORTED / seconds


def main() -> None:
    for tool in ("wrk", "pgbench", "psql"):
        if subprocess.run(["which", tool], capture_output=True).returncode != 0:
            sys.exit(f"bench: {tool} is needed (scripts/bench installs it as root)")
    if not os.access(LOADGEN, os.X_OK):
        sys.exit(f"bench: {LOADGEN} is missing (scripts/bench builds it)")
    store = prepare_database()

    log("capturing the catalog's and the checkout's SQL from the PostgreSQL log")
    statements, since_ms, products = capture(store)
    replay = pgbench_script(statements, since_ms, products)
    one_statement = one_statement_checkout(store, products)
    queries = CAPTURED
    # N+1: what the catalog and an order's read-back cost must not grow with their size.
    n_plus_one = []
    if queries["catalog_small"] != queries["catalog"]:
        n_plus_one.append(f"the catalog took {queries['catalog_small']} statements for {200 - products} products, {queries['catalog']} for 200")
    if queries["detail_3_items"] != queries["detail"]:
        n_plus_one.append(f"reading an order back took {queries['detail_3_items']} statements for 3 items, {queries['detail']} for 1")

    server = Server()
    results = {}
    open_results = {}
    try:
        log("warming up")
        run_wrk(server, store, products, "catalog", 3, CONNECTIONS)
        for scenario, label in SCENARIOS:
            log(f"{label}: {DURATION} s, {CONNECTIONS} connections")
            settle()
            results[scenario] = run_wrk(server, store, products, scenario, DURATION, CONNECTIONS)
        created = results["checkout"]["created"] + results["checkout-hot"]["created"]
        problems = [
            f"{label}: {results[scenario]['error_rate']:.2%} of the requests failed"
            for scenario, label in SCENARIOS
            if results[scenario]["error_rate"] > 0
        ]
        problems += n_plus_one
        problems += check_orders(created)
        problem = sell_out(server, store, products)
        if problem:
            problems.append(problem)
        bodies = order_bodies(store, products)
        for scenario, path in OPEN_LOOP:
            rate = results[scenario]["rps"] / 2
            log(f"{path} open loop at {rate:.0f}/s (half its maximum): {DURATION} s")
            settle()
            open_results[scenario] = open_loop(server, path, bodies, rate, DURATION)
            figures = open_results[scenario]
            if figures["ok2xx"] != figures["due"]:
                problems.append(f"{path} open loop: {figures['due'] - figures['ok2xx']} of {figures['due']} requests not answered 2xx")
    finally:
        server.stop()

    log(f"replaying the checkout's SQL with pgbench: {DURATION} s, {POOL_SIZE} clients")
    settle()
    replay_tps = run_pgbench(replay, POOL_SIZE, DURATION)
    log(f"the one-statement checkout with pgbench: {DURATION} s, {POOL_SIZE} clients")
    settle()
    one_statement_tps = run_pgbench(one_statement, POOL_SIZE, DURATION, ONE_STATEMENT_SCRIPT, "prepared")

    log(f"importing {IMPORTED:,} customers and {IMPORTED:,} orders")
    customers_file, orders_file = import_files(store)
    settle()
    customers_rate = timed_import("customers", customers_file)
    orders_rate = timed_import("orders", orders_file)

    print()
    print(f"Comanda benchmark: {os.cpu_count()} CPUs, {DURATION} s per scenario, wrk with {CONNECTIONS} connections,")
    print(f"server pool of {POOL_SIZE} connections; release build; PostgreSQL on loopback.")
    print()
    print("| scenario | requests/s | p50 ms | p99 ms | errors | server peak RSS MiB |")
    print("|---|---:|---:|---:|---:|---:|")
    for scenario, label in SCENARIOS:
        r = results[scenario]
        print(
            f"| {label} | {r['rps']:.0f} | {r['p50_us'] / 1000:.2f} | {r['p99_us'] / 1000:.2f} "
            f"| {r['error_rate']:.2%} | {r['rss_mib']:.1f} |"
        )
    for scenario, path in OPEN_LOOP:
        r = open_results[scenario]
        failed = (r["due"] - r["ok2xx"]) / r["due"] if r["due"] else 1.0
        print(
            f"| POST {path}, open loop at half its maximum | {r['rate']:.0f} | {r['p50_us'] / 1000:.2f} "
            f"| {r['p99_us'] / 1000:.2f} | {failed:.2%} | {r['rss_mib']:.1f} |"
        )
    print(f"| pgbench replay of the checkout's SQL ({POOL_SIZE} clients) | {replay_tps:.0f} | | | | |")
    print(f"| pgbench one-statement checkout ({POOL_SIZE} clients, prepared) | {one_statement_tps:.0f} | | | | |")
    print(f"| comanda import, {IMPORTED:,} customers | {customers_rate:.0f} rows/s | | | | |")
    print(f"| comanda import, {IMPORTED:,} orders | {orders_rate:.0f} rows/s | | | | |")
    print()
    catalog_ratio = results["catalog"]["rps"] / results["health"]["rps"]
    identity_ratio = results["catalog-identity"]["rps"] / results["health"]["rps"]
    replay_ratio = results["checkout"]["rps"] / replay_tps
    limit_ratio = results["checkout"]["rps"] / one_statement_tps
    checkout_p99 = open_results["checkout"]["p99_us"] / 1000
    preview_p99 = open_results["preview"]["p99_us"] / 1000
    peak_rss = max([r["rss_mib"] for r in results.values()] + [r["rss_mib"] for r in open_results.values()])
    verdict = lambda ok: "met" if ok else "MISSED"  # noqa: E731
    print(f"catalog / health throughput:      {catalog_ratio:.2f} (target >= 1.00: {verdict(catalog_ratio >= 1.0)}); uncompressed: {identity_ratio:.2f} (target >= 0.50: {verdict(identity_ratio >= 0.5)})")
    print(f"checkout / one-statement:         {limit_ratio:.2f} (target >= 0.50: {verdict(limit_ratio >= 0.5)})")
    print(f"checkout / pgbench replay:        {replay_ratio:.2f}")
    print(f"checkout p99, open loop:          {checkout_p99:.2f} ms (target <= 20 ms: {verdict(checkout_p99 <= 20)})")
    print(f"preview p99, open loop:           {preview_p99:.2f} ms (target <= 10 ms: {verdict(preview_p99 <= 10)})")
    print(f"server peak RSS:                  {peak_rss:.1f} MiB (target <= 100 MiB: {verdict(peak_rss <= 100)})")
    print(f"imports:                          {customers_rate:.0f} customers/s, {orders_rate:.0f} orders/s (target >= 10000: {verdict(min(customers_rate, orders_rate) >= 10000)})")
    print(
        f"queries: catalog {queries['catalog_small']} for {200 - products} products, {queries['catalog']} for 200 "
        f"(cold), {queries['catalog_cached']} cached; a checkout {queries['checkout']}, of which "
        f"{queries['detail']} read the order back ({queries['detail_3_items']} for 3 items)"
    )
    print(f"orders: one per answer 201, stock never below zero, 100 units sell exactly 100: {'yes' if not problems else 'NO'}")
    for problem in problems:
        print(f"PROBLEM: {problem}")
    if problems:
        sys.exit(1)


if __name__ == "__main__":
    main()
