# Reference values for tests/test_analyze_instrument.py (`hallperf analyze --instrument` on
# R's own data sets). Run from the repository root: Rscript tests/reference/cli_instrument.R
# (R 4.2, lavaan 0.6-14, jsonlite; a few seconds). Writes tests/reference/cli_instrument.json.
#
# HolzingerSwineford1939 (lavaan; the same 301 rows as semopy.examples.holzinger39), the
# three-factor model of the lavaan tutorial, complete data, fitted both ways hallperf can:
# listwise ML (lavaan's default; the tutorial prints chi-square 85.306, df 24, CFI .931,
# RMSEA .092, SRMR .065) and FIML (missing = "fiml": the same chi-square, CFI and RMSEA on
# complete data; lavaan's SRMR then includes the mean structure, .060).
suppressMessages({library(lavaan); library(jsonlite)})
model <- "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9"
measures <- c("chisq", "df", "pvalue", "cfi", "tli", "rmsea", "rmsea.ci.lower", "rmsea.ci.upper", "srmr", "ntotal")
fit_of <- function(missing) as.list(fitMeasures(cfa(model, data = HolzingerSwineford1939, missing = missing), measures))
out <- list(
  versions = list(R = R.version.string, lavaan = as.character(packageVersion("lavaan"))),
  call = "cfa('visual =~ x1 + x2 + x3; textual =~ x4 + x5 + x6; speed =~ x7 + x8 + x9', HolzingerSwineford1939, missing = ...)",
  hs1939_listwise = fit_of("listwise"),
  hs1939_fiml = fit_of("fiml")
)
write_json(out, "tests/reference/cli_instrument.json", auto_unbox = TRUE, digits = NA, pretty = TRUE)
