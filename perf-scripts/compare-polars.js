// The Polars runs of the side-by-side suite (see Compare.java for the data and the queries):
// one query per process, streaming engine, result written as CSV.
//
//   node compare-polars.js QUERY DIR OUT
const pl = require("nodejs-polars");
const path = require("path");

const [query, dir, out] = process.argv.slice(2);
const csv = (name) => pl.scanCSV(path.join(dir, name));
const t0 = process.hrtime.bigint();
let q;
switch (query) {
  case "demo":
    q = csv("probe.csv").join(csv("build.csv"), { on: "key", how: "inner" })
      .groupBy("key").agg(pl.col("amount").sum().alias("total"));
    break;
  case "country":
    q = csv("orders.csv").join(csv("customers.csv"), { on: "customer_id", how: "inner" })
      .groupBy("country").agg(pl.col("amount").sum().alias("total"), pl.len().alias("n"));
    break;
  case "customer":
    q = csv("orders.csv").groupBy("customer_id")
      .agg(pl.col("amount").sum().alias("total"), pl.col("amount").count().alias("n"));
    break;
  case "sort":
    q = csv("orders.csv").select("order_id", "amount").sort(["amount", "order_id"], [true, false]);
    break;
  case "topk":
    q = csv("orders.csv").select("order_id", "amount").sort(["amount", "order_id"], [true, false]).head(100);
    break;
  default:
    throw new Error("unknown query " + query);
}
// sinkCSV is lazy: collecting it runs the query on the streaming engine.
q.sinkCSV(out).collectSync({ streaming: true });
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
console.log(`polars query=${query} seconds=${seconds.toFixed(2)}`);
