# Reference values for tests/test_appraisal_reliability.py.
# Run from the project root: Rscript tests/reference/appraisal.R  (R 4.2, psych 2.2.9)
# Writes tests/reference/appraisal_icc.csv: psych::ICC on Shrout & Fleiss's (1979) Table 2 data
# (6 targets x 4 judges), all six forms with F, df, p and the 95% confidence bounds.
suppressPackageStartupMessages(library(psych))
sf <- matrix(c(9, 2, 5, 8,
               6, 1, 3, 2,
               8, 4, 6, 8,
               7, 1, 2, 6,
              10, 5, 6, 9,
               6, 2, 4, 7), ncol = 4, byrow = TRUE)
res <- psych::ICC(sf, lmer = FALSE)$results
out <- data.frame(data = "shrout_fleiss_1979_table2", type = res$type, icc = res$ICC, f = res$F,
                  df1 = res$df1, df2 = res$df2, p = res$p, ci_low = res$`lower bound`, ci_high = res$`upper bound`)
write.csv(out, "tests/reference/appraisal_icc.csv", row.names = FALSE)
print(out, digits = 10)
