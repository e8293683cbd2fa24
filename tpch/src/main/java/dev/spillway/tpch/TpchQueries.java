package dev.spillway.tpch;

import dev.spillway.Expr;
import dev.spillway.LazyFrame;
import dev.spillway.SortKey;
import dev.spillway.Spillway;
import dev.spillway.options.CsvOptions;
import dev.spillway.options.JoinType;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Period;
import java.util.List;

import static dev.spillway.Expr.col;
import static dev.spillway.Expr.date;
import static dev.spillway.Expr.decimal;
import static dev.spillway.Expr.rowCount;
import static dev.spillway.Expr.lit;
import static dev.spillway.Expr.when;
import static dev.spillway.SortKey.asc;
import static dev.spillway.SortKey.desc;

/**
 * The 22 TPC-H queries written with the lazy API, with the spec's validation parameters (Q1
 * DELTA 90, Q2 SIZE 15 TYPE BRASS REGION EUROPE, ... Q22 country codes 13, 31, 23, 29, 30, 18, 17).
 * Each method takes an engine and the directory {@link TpchGen} wrote (Parquet files, or CSV
 * files when there is no Parquet file of a table) and returns the query as a {@link LazyFrame}
 * whose columns are those of the SQL text's select list, in order, sorted as its ORDER BY says.
 * Subqueries are rewritten as joins (see the package documentation). {@link #sql(int)} gives the
 * SQL text of the same query. Money is {@code decimal(15,2)} ({@link TpchSchema#MONEY}) and its
 * arithmetic exact: constants beside it are decimal literals, and only the SQL text's divisions
 * ({@code /}) give float64, as in DuckDB.
 */
public final class TpchQueries {
    /** Number of queries. */
    public static final int COUNT = 22;

    private TpchQueries() {
    }

    /**
     * Query {@code n} (1 to 22).
     *
     * @throws IllegalArgumentException for a number outside 1..22
     */
    public static LazyFrame query(int n, Spillway sw, Path dir) {
        return switch (n) {
            case 1 -> q1(sw, dir);
            case 2 -> q2(sw, dir);
            case 3 -> q3(sw, dir);
            case 4 -> q4(sw, dir);
            case 5 -> q5(sw, dir);
            case 6 -> q6(sw, dir);
            case 7 -> q7(sw, dir);
            case 8 -> q8(sw, dir);
            case 9 -> q9(sw, dir);
            case 10 -> q10(sw, dir);
            case 11 -> q11(sw, dir);
            case 12 -> q12(sw, dir);
            case 13 -> q13(sw, dir);
            case 14 -> q14(sw, dir);
            case 15 -> q15(sw, dir);
            case 16 -> q16(sw, dir);
            case 17 -> q17(sw, dir);
            case 18 -> q18(sw, dir);
            case 19 -> q19(sw, dir);
            case 20 -> q20(sw, dir);
            case 21 -> q21(sw, dir);
            case 22 -> q22(sw, dir);
            default -> throw new IllegalArgumentException("TPC-H has queries 1 to 22, not " + n);
        };
    }

    /**
     * The SQL text of query {@code n} (TPC-H's, with the same parameters) over tables named as in
     * {@link TpchSchema}: what the check runs on DuckDB.
     *
     * @throws IllegalArgumentException for a number outside 1..22
     */
    public static String sql(int n) {
        if (n < 1 || n > COUNT) {
            throw new IllegalArgumentException("TPC-H has queries 1 to 22, not " + n);
        }
        String name = String.format("sql/q%02d.sql", n);
        try (InputStream in = TpchQueries.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("resource " + name + " missing from the tpch module");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Scans {@code table} in {@code dir}: its Parquet file, else its CSV file (read with the
     * schema of {@link TpchSchema}).
     *
     * @throws IllegalArgumentException when neither file exists
     */
    public static LazyFrame scan(Spillway sw, Path dir, String table) {
        Path parquet = TpchGen.file(dir, table, TpchGen.Format.PARQUET);
        if (Files.exists(parquet)) {
            return sw.scanParquet(parquet);
        }
        Path csv = TpchGen.file(dir, table, TpchGen.Format.CSV);
        if (Files.exists(csv)) {
            return sw.scanCsv(csv, CsvOptions.defaults().withHeader(true).withSchema(TpchSchema.schema(table)));
        }
        throw new IllegalArgumentException("no " + parquet.getFileName() + " or " + csv.getFileName() + " in " + dir
                + "; write the tables with 'spillway tpch-gen --out " + dir + "'");
    }

    /** {@code l_extendedprice * (1 - l_discount)}: exact, {@code decimal(31,4)}. */
    private static Expr discounted() {
        return col("l_extendedprice").times(decimal("1").minus(col("l_discount")));
    }

    private static LazyFrame join(LazyFrame l, LazyFrame r, String leftOn, String rightOn, JoinType how) {
        return l.join(r, List.of(leftOn), List.of(rightOn), how);
    }

    private static LazyFrame join(LazyFrame l, LazyFrame r, String leftOn, String rightOn) {
        return join(l, r, leftOn, rightOn, JoinType.INNER);
    }

    /** Nations of one region: n_nationkey, n_name. */
    private static LazyFrame nationsOf(Spillway sw, Path dir, String region) {
        LazyFrame r = scan(sw, dir, "region").filter(col("r_name").eq(lit(region))).select("r_regionkey");
        return join(scan(sw, dir, "nation"), r, "n_regionkey", "r_regionkey").select("n_nationkey", "n_name");
    }

    /** Q1, pricing summary report. */
    public static LazyFrame q1(Spillway sw, Path dir) {
        Expr price = discounted();
        return scan(sw, dir, "lineitem")
                .filter(col("l_shipdate").le(date("1998-12-01").minus(Period.ofDays(90))))
                .groupBy("l_returnflag", "l_linestatus")
                .agg(col("l_quantity").sum().alias("sum_qty"),
                        col("l_extendedprice").sum().alias("sum_base_price"),
                        price.sum().alias("sum_disc_price"),
                        price.times(decimal("1").plus(col("l_tax"))).sum().alias("sum_charge"),
                        col("l_quantity").mean().alias("avg_qty"),
                        col("l_extendedprice").mean().alias("avg_price"),
                        col("l_discount").mean().alias("avg_disc"),
                        rowCount().alias("count_order"))
                .sort("l_returnflag", "l_linestatus");
    }

    /** Q2, minimum cost supplier: the correlated minimum becomes a group-by joined back. */
    public static LazyFrame q2(Spillway sw, Path dir) {
        LazyFrame suppliers = join(scan(sw, dir, "supplier"), nationsOf(sw, dir, "EUROPE"), "s_nationkey", "n_nationkey");
        LazyFrame offers = join(scan(sw, dir, "partsupp"), suppliers, "ps_suppkey", "s_suppkey");
        LazyFrame brass = scan(sw, dir, "part")
                .filter(col("p_size").eq(lit(15)).and(col("p_type").like("%BRASS")))
                .select("p_partkey", "p_mfgr");
        LazyFrame candidates = join(brass, offers, "p_partkey", "ps_partkey").cache();
        LazyFrame cheapest = candidates.groupBy("p_partkey").agg(col("ps_supplycost").min().alias("min_cost"));
        return candidates.join(cheapest, List.of("p_partkey", "ps_supplycost"), List.of("p_partkey", "min_cost"),
                        JoinType.INNER)
                .select("s_acctbal", "s_name", "n_name", "p_partkey", "p_mfgr", "s_address", "s_phone", "s_comment")
                .topK(100, desc("s_acctbal"), asc("n_name"), asc("s_name"), asc("p_partkey"));
    }

    /** Q3, shipping priority. */
    public static LazyFrame q3(Spillway sw, Path dir) {
        Expr day = date("1995-03-15");
        LazyFrame customers = scan(sw, dir, "customer").filter(col("c_mktsegment").eq(lit("BUILDING"))).select("c_custkey");
        LazyFrame orders = join(scan(sw, dir, "orders").filter(col("o_orderdate").lt(day)), customers,
                "o_custkey", "c_custkey");
        LazyFrame items = scan(sw, dir, "lineitem").filter(col("l_shipdate").gt(day));
        return join(items, orders, "l_orderkey", "o_orderkey")
                .groupBy("l_orderkey", "o_orderdate", "o_shippriority")
                .agg(discounted().sum().alias("revenue"))
                .select("l_orderkey", "revenue", "o_orderdate", "o_shippriority")
                .topK(10, desc("revenue"), asc("o_orderdate"));
    }

    /** Q4, order priority checking: EXISTS becomes a semi join. */
    public static LazyFrame q4(Spillway sw, Path dir) {
        Expr from = date("1993-07-01");
        LazyFrame orders = scan(sw, dir, "orders")
                .filter(col("o_orderdate").ge(from).and(col("o_orderdate").lt(from.plus(Period.ofMonths(3)))));
        LazyFrame late = scan(sw, dir, "lineitem").filter(col("l_commitdate").lt(col("l_receiptdate")));
        return join(orders, late, "o_orderkey", "l_orderkey", JoinType.SEMI)
                .groupBy("o_orderpriority")
                .agg(rowCount().alias("order_count"))
                .sort("o_orderpriority");
    }

    /** Q5, local supplier volume. */
    public static LazyFrame q5(Spillway sw, Path dir) {
        Expr from = date("1994-01-01");
        LazyFrame suppliers = join(scan(sw, dir, "supplier"), nationsOf(sw, dir, "ASIA"), "s_nationkey", "n_nationkey");
        LazyFrame orders = scan(sw, dir, "orders")
                .filter(col("o_orderdate").ge(from).and(col("o_orderdate").lt(from.plus(Period.ofYears(1)))));
        LazyFrame items = join(scan(sw, dir, "lineitem"), suppliers, "l_suppkey", "s_suppkey");
        LazyFrame withOrders = join(items, orders, "l_orderkey", "o_orderkey");
        return withOrders.join(scan(sw, dir, "customer"), List.of("o_custkey", "s_nationkey"),
                        List.of("c_custkey", "c_nationkey"), JoinType.INNER)
                .groupBy("n_name")
                .agg(discounted().sum().alias("revenue"))
                .sort(desc("revenue"));
    }

    /** Q6, forecasting revenue change (discount 0.06 ± 0.01, written as its bounds). */
    public static LazyFrame q6(Spillway sw, Path dir) {
        Expr from = date("1994-01-01");
        return scan(sw, dir, "lineitem")
                .filter(col("l_shipdate").ge(from).and(col("l_shipdate").lt(from.plus(Period.ofYears(1))))
                        .and(col("l_discount").between(decimal("0.05"), decimal("0.07")))
                        .and(col("l_quantity").lt(lit(24L))))
                .select(col("l_extendedprice").times(col("l_discount")).sum().alias("revenue"));
    }

    /** Q7, volume shipping. */
    public static LazyFrame q7(Spillway sw, Path dir) {
        LazyFrame nations = scan(sw, dir, "nation").filter(col("n_name").isIn("FRANCE", "GERMANY"));
        LazyFrame suppliers = join(scan(sw, dir, "supplier"),
                nations.select(col("n_nationkey").alias("sn_key"), col("n_name").alias("supp_nation")),
                "s_nationkey", "sn_key").select("s_suppkey", "supp_nation");
        LazyFrame customers = join(scan(sw, dir, "customer"),
                nations.select(col("n_nationkey").alias("cn_key"), col("n_name").alias("cust_nation")),
                "c_nationkey", "cn_key").select("c_custkey", "cust_nation");
        LazyFrame items = scan(sw, dir, "lineitem")
                .filter(col("l_shipdate").between(date("1995-01-01"), date("1996-12-31")));
        LazyFrame j = join(items, suppliers, "l_suppkey", "s_suppkey");
        j = join(j, scan(sw, dir, "orders").select("o_orderkey", "o_custkey"), "l_orderkey", "o_orderkey");
        j = join(j, customers, "o_custkey", "c_custkey");
        return j.filter(col("supp_nation").eq(lit("FRANCE")).and(col("cust_nation").eq(lit("GERMANY")))
                        .or(col("supp_nation").eq(lit("GERMANY")).and(col("cust_nation").eq(lit("FRANCE")))))
                .groupBy(col("supp_nation"), col("cust_nation"), col("l_shipdate").year().alias("l_year"))
                .agg(discounted().sum().alias("revenue"))
                .sort("supp_nation", "cust_nation", "l_year");
    }

    /** Q8, national market share. */
    public static LazyFrame q8(Spillway sw, Path dir) {
        LazyFrame parts = scan(sw, dir, "part").filter(col("p_type").eq(lit("ECONOMY ANODIZED STEEL"))).select("p_partkey");
        LazyFrame customers = join(scan(sw, dir, "customer"),
                nationsOf(sw, dir, "AMERICA").select("n_nationkey"), "c_nationkey", "n_nationkey").select("c_custkey");
        LazyFrame orders = join(scan(sw, dir, "orders")
                        .filter(col("o_orderdate").between(date("1995-01-01"), date("1996-12-31"))),
                customers, "o_custkey", "c_custkey").select("o_orderkey", "o_orderdate");
        LazyFrame suppliers = join(scan(sw, dir, "supplier"),
                scan(sw, dir, "nation").select(col("n_nationkey"), col("n_name").alias("nation")),
                "s_nationkey", "n_nationkey").select("s_suppkey", "nation");
        LazyFrame j = join(scan(sw, dir, "lineitem"), parts, "l_partkey", "p_partkey");
        j = join(j, orders, "l_orderkey", "o_orderkey");
        j = join(j, suppliers, "l_suppkey", "s_suppkey");
        Expr volume = discounted();
        return j.groupBy(col("o_orderdate").year().alias("o_year"))
                .agg(when(col("nation").eq(lit("BRAZIL"))).then(volume).otherwise(decimal("0")).sum().alias("brazil"),
                        volume.sum().alias("total"))
                .select(col("o_year"), col("brazil").div(col("total")).alias("mkt_share"))
                .sort("o_year");
    }

    /** Q9, product type profit measure. */
    public static LazyFrame q9(Spillway sw, Path dir) {
        LazyFrame parts = scan(sw, dir, "part").filter(col("p_name").like("%green%")).select("p_partkey");
        LazyFrame suppliers = join(scan(sw, dir, "supplier"), scan(sw, dir, "nation"), "s_nationkey", "n_nationkey")
                .select("s_suppkey", "n_name");
        LazyFrame j = join(scan(sw, dir, "lineitem"), parts, "l_partkey", "p_partkey");
        j = j.join(scan(sw, dir, "partsupp"), List.of("l_suppkey", "l_partkey"), List.of("ps_suppkey", "ps_partkey"),
                JoinType.INNER);
        j = join(j, suppliers, "l_suppkey", "s_suppkey");
        j = join(j, scan(sw, dir, "orders").select("o_orderkey", "o_orderdate"), "l_orderkey", "o_orderkey");
        return j.groupBy(col("n_name").alias("nation"), col("o_orderdate").year().alias("o_year"))
                .agg(discounted().minus(col("ps_supplycost").times(col("l_quantity"))).sum().alias("sum_profit"))
                .sort(asc("nation"), desc("o_year"));
    }

    /** Q10, returned item reporting. */
    public static LazyFrame q10(Spillway sw, Path dir) {
        Expr from = date("1993-10-01");
        LazyFrame orders = scan(sw, dir, "orders")
                .filter(col("o_orderdate").ge(from).and(col("o_orderdate").lt(from.plus(Period.ofMonths(3)))))
                .select("o_orderkey", "o_custkey");
        LazyFrame items = scan(sw, dir, "lineitem").filter(col("l_returnflag").eq(lit("R")));
        LazyFrame j = join(items, orders, "l_orderkey", "o_orderkey");
        j = join(j, scan(sw, dir, "customer"), "o_custkey", "c_custkey");
        j = join(j, scan(sw, dir, "nation").select("n_nationkey", "n_name"), "c_nationkey", "n_nationkey");
        return j.groupBy(col("o_custkey").alias("c_custkey"), col("c_name"), col("c_acctbal"), col("c_phone"),
                        col("n_name"), col("c_address"), col("c_comment"))
                .agg(discounted().sum().alias("revenue"))
                .select("c_custkey", "c_name", "revenue", "c_acctbal", "n_name", "c_address", "c_phone", "c_comment")
                .topK(20, desc("revenue"));
    }

    /** Q11, important stock identification: the scalar subquery becomes a one-row aggregate joined to every group. */
    public static LazyFrame q11(Spillway sw, Path dir) {
        LazyFrame suppliers = join(scan(sw, dir, "supplier"),
                scan(sw, dir, "nation").filter(col("n_name").eq(lit("GERMANY"))).select("n_nationkey"),
                "s_nationkey", "n_nationkey").select("s_suppkey");
        LazyFrame stock = join(scan(sw, dir, "partsupp"), suppliers, "ps_suppkey", "s_suppkey")
                .withColumns(col("ps_supplycost").times(col("ps_availqty")).alias("stock_value"))
                .cache();
        LazyFrame total = stock.select(col("stock_value").sum().alias("total"))
                .select(col("total").times(decimal("0.0001")).alias("threshold"));
        return stock.groupBy("ps_partkey")
                .agg(col("stock_value").sum().alias("value"))
                .joinWhere(total, col("value").gt(col("threshold")))
                .select("ps_partkey", "value")
                .sort(desc("value"));
    }

    /** Q12, shipping modes and order priority. */
    public static LazyFrame q12(Spillway sw, Path dir) {
        Expr from = date("1994-01-01");
        LazyFrame items = scan(sw, dir, "lineitem")
                .filter(col("l_shipmode").isIn("MAIL", "SHIP")
                        .and(col("l_commitdate").lt(col("l_receiptdate")))
                        .and(col("l_shipdate").lt(col("l_commitdate")))
                        .and(col("l_receiptdate").ge(from))
                        .and(col("l_receiptdate").lt(from.plus(Period.ofYears(1)))));
        Expr high = col("o_orderpriority").eq(lit("1-URGENT")).or(col("o_orderpriority").eq(lit("2-HIGH")));
        return join(items, scan(sw, dir, "orders").select("o_orderkey", "o_orderpriority"), "l_orderkey", "o_orderkey")
                .groupBy("l_shipmode")
                .agg(when(high).then(lit(1L)).otherwise(lit(0L)).sum().alias("high_line_count"),
                        when(high).then(lit(0L)).otherwise(lit(1L)).sum().alias("low_line_count"))
                .sort("l_shipmode");
    }

    /** Q13, customer distribution: the outer join's condition on orders becomes a filter below it. */
    public static LazyFrame q13(Spillway sw, Path dir) {
        LazyFrame orders = scan(sw, dir, "orders").filter(col("o_comment").notLike("%special%requests%"))
                .select("o_orderkey", "o_custkey");
        return join(scan(sw, dir, "customer").select("c_custkey"), orders, "c_custkey", "o_custkey", JoinType.LEFT)
                .groupBy("c_custkey")
                .agg(col("o_orderkey").count().alias("c_count"))
                .groupBy("c_count")
                .agg(rowCount().alias("custdist"))
                .sort(desc("custdist"), desc("c_count"));
    }

    /** Q14, promotion effect. */
    public static LazyFrame q14(Spillway sw, Path dir) {
        Expr from = date("1995-09-01");
        LazyFrame items = scan(sw, dir, "lineitem")
                .filter(col("l_shipdate").ge(from).and(col("l_shipdate").lt(from.plus(Period.ofMonths(1)))));
        Expr volume = discounted();
        return join(items, scan(sw, dir, "part").select("p_partkey", "p_type"), "l_partkey", "p_partkey")
                .select(when(col("p_type").like("PROMO%")).then(volume).otherwise(decimal("0")).sum().alias("promo"),
                        volume.sum().alias("total"))
                .select(lit(100.0).times(col("promo")).div(col("total")).alias("promo_revenue"));
    }

    /** Q15, top supplier: the view is computed once ({@code cache}), its maximum joined back. */
    public static LazyFrame q15(Spillway sw, Path dir) {
        Expr from = date("1996-01-01");
        LazyFrame revenue = scan(sw, dir, "lineitem")
                .filter(col("l_shipdate").ge(from).and(col("l_shipdate").lt(from.plus(Period.ofMonths(3)))))
                .groupBy(col("l_suppkey").alias("supplier_no"))
                .agg(discounted().sum().alias("total_revenue"))
                .cache();
        LazyFrame top = revenue.select(col("total_revenue").max().alias("max_revenue"));
        LazyFrame best = join(revenue, top, "total_revenue", "max_revenue");
        return join(scan(sw, dir, "supplier"), best, "s_suppkey", "supplier_no")
                .select("s_suppkey", "s_name", "s_address", "s_phone", "total_revenue")
                .sort("s_suppkey");
    }

    /** Q16, parts/supplier relationship: NOT IN becomes an anti join. */
    public static LazyFrame q16(Spillway sw, Path dir) {
        LazyFrame parts = scan(sw, dir, "part")
                .filter(col("p_brand").ne(lit("Brand#45"))
                        .and(col("p_type").notLike("MEDIUM POLISHED%"))
                        .and(col("p_size").isIn(49, 14, 23, 45, 19, 3, 36, 9)))
                .select("p_partkey", "p_brand", "p_type", "p_size");
        LazyFrame complaints = scan(sw, dir, "supplier").filter(col("s_comment").like("%Customer%Complaints%"))
                .select("s_suppkey");
        LazyFrame offers = join(scan(sw, dir, "partsupp"), complaints, "ps_suppkey", "s_suppkey", JoinType.ANTI);
        return join(offers, parts, "ps_partkey", "p_partkey")
                .groupBy("p_brand", "p_type", "p_size")
                .agg(col("ps_suppkey").nUnique().alias("supplier_cnt"))
                .sort(desc("supplier_cnt"), asc("p_brand"), asc("p_type"), asc("p_size"));
    }

    /** Q17, small-quantity-order revenue: the correlated average becomes a group-by joined back. */
    public static LazyFrame q17(Spillway sw, Path dir) {
        LazyFrame parts = scan(sw, dir, "part")
                .filter(col("p_brand").eq(lit("Brand#23")).and(col("p_container").eq(lit("MED BOX"))))
                .select("p_partkey");
        LazyFrame items = join(scan(sw, dir, "lineitem"), parts, "l_partkey", "p_partkey")
                .select("l_partkey", "l_quantity", "l_extendedprice")
                .cache();
        LazyFrame average = items.groupBy(col("l_partkey").alias("avg_partkey"))
                .agg(col("l_quantity").mean().alias("avg_quantity"));
        return join(items, average, "l_partkey", "avg_partkey")
                .filter(col("l_quantity").lt(decimal("0.2").times(col("avg_quantity"))))
                .select(col("l_extendedprice").sum().alias("total"))
                .select(col("total").div(lit(7.0)).alias("avg_yearly"));
    }

    /** Q18, large volume customer: IN (grouped subquery) becomes a semi join. */
    public static LazyFrame q18(Spillway sw, Path dir) {
        LazyFrame big = scan(sw, dir, "lineitem")
                .groupBy("l_orderkey")
                .agg(col("l_quantity").sum().alias("order_quantity"))
                .filter(col("order_quantity").gt(lit(300L)))
                .select("l_orderkey");
        LazyFrame orders = join(scan(sw, dir, "orders"), big, "o_orderkey", "l_orderkey", JoinType.SEMI)
                .select("o_orderkey", "o_custkey", "o_orderdate", "o_totalprice");
        LazyFrame j = join(orders, scan(sw, dir, "customer").select("c_custkey", "c_name"), "o_custkey", "c_custkey");
        j = join(scan(sw, dir, "lineitem").select("l_orderkey", "l_quantity"), j, "l_orderkey", "o_orderkey");
        return j.groupBy(col("c_name"), col("o_custkey").alias("c_custkey"), col("l_orderkey").alias("o_orderkey"),
                        col("o_orderdate"), col("o_totalprice"))
                .agg(col("l_quantity").sum().alias("sum_quantity"))
                .topK(100, desc("o_totalprice"), asc("o_orderdate"));
    }

    /** Q19, discounted revenue: the join key is common to the three disjuncts and taken out of them. */
    public static LazyFrame q19(Spillway sw, Path dir) {
        LazyFrame items = scan(sw, dir, "lineitem")
                .filter(col("l_shipmode").isIn("AIR", "AIR REG").and(col("l_shipinstruct").eq(lit("DELIVER IN PERSON"))));
        LazyFrame j = join(items, scan(sw, dir, "part"), "l_partkey", "p_partkey");
        return j.filter(q19Branch("Brand#12", List.of("SM CASE", "SM BOX", "SM PACK", "SM PKG"), 1, 5)
                        .or(q19Branch("Brand#23", List.of("MED BAG", "MED BOX", "MED PKG", "MED PACK"), 10, 10))
                        .or(q19Branch("Brand#34", List.of("LG CASE", "LG BOX", "LG PACK", "LG PKG"), 20, 15)))
                .select(discounted().sum().alias("revenue"));
    }

    private static Expr q19Branch(String brand, List<String> containers, int quantity, int maxSize) {
        return col("p_brand").eq(lit(brand))
                .and(col("p_container").isIn(containers))
                .and(col("l_quantity").ge(lit((long) quantity)))
                .and(col("l_quantity").le(lit((long) quantity + 10)))
                .and(col("p_size").between(lit(1), lit(maxSize)));
    }

    /** Q20, potential part promotion: nested IN becomes semi joins, the correlated sum a group-by joined back. */
    public static LazyFrame q20(Spillway sw, Path dir) {
        Expr from = date("1994-01-01");
        LazyFrame shipped = scan(sw, dir, "lineitem")
                .filter(col("l_shipdate").ge(from).and(col("l_shipdate").lt(from.plus(Period.ofYears(1)))))
                .groupBy("l_partkey", "l_suppkey")
                .agg(col("l_quantity").sum().alias("shipped_quantity"));
        LazyFrame forest = scan(sw, dir, "part").filter(col("p_name").like("forest%")).select("p_partkey");
        LazyFrame offers = join(scan(sw, dir, "partsupp"), forest, "ps_partkey", "p_partkey", JoinType.SEMI)
                .join(shipped, List.of("ps_partkey", "ps_suppkey"), List.of("l_partkey", "l_suppkey"), JoinType.INNER)
                .filter(col("ps_availqty").gt(decimal("0.5").times(col("shipped_quantity"))))
                .select("ps_suppkey");
        LazyFrame suppliers = join(scan(sw, dir, "supplier"),
                scan(sw, dir, "nation").filter(col("n_name").eq(lit("CANADA"))).select("n_nationkey"),
                "s_nationkey", "n_nationkey");
        return join(suppliers, offers, "s_suppkey", "ps_suppkey", JoinType.SEMI)
                .select("s_name", "s_address")
                .sort("s_name");
    }

    /**
     * Q21, suppliers who kept orders waiting. EXISTS (another supplier on the order) holds when the
     * order has more than one distinct supplier; NOT EXISTS (another supplier late on the order)
     * holds when the late lines of the order have exactly one distinct supplier, this one.
     */
    public static LazyFrame q21(Spillway sw, Path dir) {
        LazyFrame late = scan(sw, dir, "lineitem").filter(col("l_receiptdate").gt(col("l_commitdate")))
                .select("l_orderkey", "l_suppkey");
        // More than one supplier in an order <=> its smallest and largest supplier key differ
        // (two cheap states per order instead of a set of distinct keys).
        LazyFrame shared = scan(sw, dir, "lineitem")
                .groupBy("l_orderkey")
                .agg(col("l_suppkey").min().alias("first_supp"), col("l_suppkey").max().alias("last_supp"))
                .filter(col("first_supp").ne(col("last_supp")))
                .select("l_orderkey");
        LazyFrame aloneLate = late.groupBy("l_orderkey")
                .agg(col("l_suppkey").min().alias("first_late"), col("l_suppkey").max().alias("last_late"))
                .filter(col("first_late").eq(col("last_late")))
                .select("l_orderkey");
        LazyFrame suppliers = join(scan(sw, dir, "supplier"),
                scan(sw, dir, "nation").filter(col("n_name").eq(lit("SAUDI ARABIA"))).select("n_nationkey"),
                "s_nationkey", "n_nationkey").select("s_suppkey", "s_name");
        LazyFrame failed = scan(sw, dir, "orders").filter(col("o_orderstatus").eq(lit("F"))).select("o_orderkey");
        LazyFrame j = join(late, suppliers, "l_suppkey", "s_suppkey");
        j = join(j, failed, "l_orderkey", "o_orderkey");
        j = join(j, shared, "l_orderkey", "l_orderkey", JoinType.SEMI);
        j = join(j, aloneLate, "l_orderkey", "l_orderkey", JoinType.SEMI);
        return j.groupBy("s_name")
                .agg(rowCount().alias("numwait"))
                .topK(100, desc("numwait"), asc("s_name"));
    }

    /** Q22, global sales opportunity: the scalar average is a one-row aggregate, NOT EXISTS an anti join. */
    public static LazyFrame q22(Spillway sw, Path dir) {
        LazyFrame customers = scan(sw, dir, "customer")
                .select(col("c_custkey"), col("c_phone").substring(1, 2).alias("cntrycode"), col("c_acctbal"))
                .filter(col("cntrycode").isIn("13", "31", "23", "29", "30", "18", "17"))
                .cache();
        LazyFrame average = customers.filter(col("c_acctbal").gt(decimal("0.00")))
                .select(col("c_acctbal").mean().alias("avg_acctbal"));
        LazyFrame rich = customers.joinWhere(average, col("c_acctbal").gt(col("avg_acctbal")));
        return join(rich, scan(sw, dir, "orders").select("o_custkey"), "c_custkey", "o_custkey", JoinType.ANTI)
                .groupBy("cntrycode")
                .agg(rowCount().alias("numcust"), col("c_acctbal").sum().alias("totacctbal"))
                .sort("cntrycode");
    }

    /** Sort keys of the ORDER BY of each query, by output column name (empty for one-row results). */
    public static List<SortKey> orderBy(int n) {
        return switch (n) {
            case 1 -> List.of(asc("l_returnflag"), asc("l_linestatus"));
            case 2 -> List.of(desc("s_acctbal"), asc("n_name"), asc("s_name"), asc("p_partkey"));
            case 3 -> List.of(desc("revenue"), asc("o_orderdate"));
            case 4 -> List.of(asc("o_orderpriority"));
            case 5 -> List.of(desc("revenue"));
            case 7 -> List.of(asc("supp_nation"), asc("cust_nation"), asc("l_year"));
            case 8 -> List.of(asc("o_year"));
            case 9 -> List.of(asc("nation"), desc("o_year"));
            case 10 -> List.of(desc("revenue"));
            case 11 -> List.of(desc("value"));
            case 12 -> List.of(asc("l_shipmode"));
            case 13 -> List.of(desc("custdist"), desc("c_count"));
            case 15 -> List.of(asc("s_suppkey"));
            case 16 -> List.of(desc("supplier_cnt"), asc("p_brand"), asc("p_type"), asc("p_size"));
            case 18 -> List.of(desc("o_totalprice"), asc("o_orderdate"));
            case 20 -> List.of(asc("s_name"));
            case 21 -> List.of(desc("numwait"), asc("s_name"));
            case 22 -> List.of(asc("cntrycode"));
            case 6, 14, 17, 19 -> List.of();
            default -> throw new IllegalArgumentException("TPC-H has queries 1 to 22, not " + n);
        };
    }
}
