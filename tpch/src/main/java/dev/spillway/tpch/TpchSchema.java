package dev.spillway.tpch;

import dev.spillway.types.DataType;
import dev.spillway.types.DecimalType;
import dev.spillway.types.Field;
import dev.spillway.types.Schema;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static dev.spillway.types.DataType.DATE32;
import static dev.spillway.types.DataType.INT32;
import static dev.spillway.types.DataType.INT64;
import static dev.spillway.types.DataType.UTF8;

/**
 * The eight TPC-H tables as Spillway stores them: TPC-H column names, keys as int64, small
 * counts as int32, dates as date32, text as utf8, and money and quantity columns as the spec's
 * {@code DECIMAL(15,2)} ({@link #MONEY}). Columns appear in the spec's order.
 */
public final class TpchSchema {
    /** The type of the money and quantity columns: {@code decimal(15,2)}. */
    public static final DecimalType MONEY = DecimalType.of(15, 2);

    /** The tables in dependency order (dimensions first), each with its columns in the spec's order. */
    private static final Map<String, Schema> TABLES = new LinkedHashMap<>();

    static {
        table("region",
                col("r_regionkey", INT64),
                col("r_name", UTF8),
                col("r_comment", UTF8));
        table("nation",
                col("n_nationkey", INT64),
                col("n_name", UTF8),
                col("n_regionkey", INT64),
                col("n_comment", UTF8));
        table("supplier",
                col("s_suppkey", INT64),
                col("s_name", UTF8),
                col("s_address", UTF8),
                col("s_nationkey", INT64),
                col("s_phone", UTF8),
                money("s_acctbal"),
                col("s_comment", UTF8));
        table("customer",
                col("c_custkey", INT64),
                col("c_name", UTF8),
                col("c_address", UTF8),
                col("c_nationkey", INT64),
                col("c_phone", UTF8),
                money("c_acctbal"),
                col("c_mktsegment", UTF8),
                col("c_comment", UTF8));
        table("part",
                col("p_partkey", INT64),
                col("p_name", UTF8),
                col("p_mfgr", UTF8),
                col("p_brand", UTF8),
                col("p_type", UTF8),
                col("p_size", INT32),
                col("p_container", UTF8),
                money("p_retailprice"),
                col("p_comment", UTF8));
        table("partsupp",
                col("ps_partkey", INT64),
                col("ps_suppkey", INT64),
                col("ps_availqty", INT32),
                money("ps_supplycost"),
                col("ps_comment", UTF8));
        table("orders",
                col("o_orderkey", INT64),
                col("o_custkey", INT64),
                col("o_orderstatus", UTF8),
                money("o_totalprice"),
                col("o_orderdate", DATE32),
                col("o_orderpriority", UTF8),
                col("o_clerk", UTF8),
                col("o_shippriority", INT32),
                col("o_comment", UTF8));
        table("lineitem",
                col("l_orderkey", INT64),
                col("l_partkey", INT64),
                col("l_suppkey", INT64),
                col("l_linenumber", INT32),
                money("l_quantity"),
                money("l_extendedprice"),
                money("l_discount"),
                money("l_tax"),
                col("l_returnflag", UTF8),
                col("l_linestatus", UTF8),
                col("l_shipdate", DATE32),
                col("l_commitdate", DATE32),
                col("l_receiptdate", DATE32),
                col("l_shipinstruct", UTF8),
                col("l_shipmode", UTF8),
                col("l_comment", UTF8));
    }

    private TpchSchema() {
    }

    private static Field col(String name, DataType type) {
        return new Field(name, type, false);
    }

    /** A money or quantity column: the spec's {@code DECIMAL(15,2)}. */
    private static Field money(String name) {
        return new Field(name, DataType.DECIMAL128, false, MONEY);
    }

    private static void table(String name, Field... fields) {
        TABLES.put(name, Schema.of(fields));
    }

    /** The table names in generation order: region, nation, supplier, customer, part, partsupp, orders, lineitem. */
    public static List<String> tables() {
        return new ArrayList<>(TABLES.keySet());
    }

    /**
     * The schema of {@code table}.
     *
     * @throws IllegalArgumentException for a name that is not a TPC-H table, listing the valid ones
     */
    public static Schema schema(String table) {
        Schema s = TABLES.get(table);
        if (s == null) {
            throw new IllegalArgumentException("'" + table + "' is not a TPC-H table; the tables are " + TABLES.keySet());
        }
        return s;
    }
}
