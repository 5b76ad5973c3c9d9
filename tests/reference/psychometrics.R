# R oracle for the psychometrics tests (tests/test_cfa.py, test_validity.py, test_reliability.py,
# test_invariance.py). Writes JSON fixtures beside this file so the tests and CI need no R.
#
# Versions used for the committed fixtures: R 4.2.2, lavaan 0.6-14, psych 2.2.9, semTools 0.5-6,
# GPArotation 2022.10-2 (Debian r-cran-*; psych needs GPArotation for oblimin and omega).
# Regenerate from the repository root:
#   PYTHONPATH=$PWD/src python tests/reference/psych_staff_items_make.py   # staff input (optional)
#   Rscript tests/reference/psychometrics.R              # all sections (~10 min: the staff FIML CFAs)
#   Rscript tests/reference/psychometrics.R omega htmt   # only some: cfa, validity, htmt, omega
#
# Data sets:
#   hs       lavaan::HolzingerSwineford1939 (301 rows, same order as semopy.examples.holzinger39)
#   hs_mask  the same with x_j of row i (1-based) set to NA when (7 i + 3 j) %% 11 == 0
#            (a deterministic ~9% pattern that the Python tests rebuild)
#   staff    tests/reference/psych_staff_items.csv: the bundled sample wave's reverse-keyed staff
#            items (365 x 49, 0.8-3.4% missing per item), model in psych_staff_model.json
#   bfi      psych::bfi items A1..O5 (2,800 rows, with missing values), unkeyed
#   Thurstone psych::Thurstone (9 x 9 correlations, n.obs = 213)

suppressPackageStartupMessages({
  library(lavaan)
  library(psych)
  library(semTools)
  library(GPArotation)
  library(jsonlite)
})

sections <- commandArgs(trailingOnly = TRUE)
if (length(sections) == 0) sections <- c("cfa", "validity", "htmt", "omega")
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
out <- function(x, name) {
  writeLines(toJSON(x, digits = NA, auto_unbox = TRUE, pretty = TRUE, na = "null"),
             file.path(here, name))
}

versions <- list(R = R.version.string, lavaan = as.character(packageVersion("lavaan")),
                 psych = as.character(packageVersion("psych")),
                 semTools = as.character(packageVersion("semTools")),
                 GPArotation = as.character(packageVersion("GPArotation")))

hs <- HolzingerSwineford1939
hs_items <- paste0("x", 1:9)
hs_model_list <- list(visual = c("x1", "x2", "x3"), textual = c("x4", "x5", "x6"),
                      speed = c("x7", "x8", "x9"))
mask_hs <- function(d) {
  for (j in 1:9) {
    i <- seq_len(nrow(d))
    d[[paste0("x", j)]][(7 * i + 3 * j) %% 11 == 0] <- NA
  }
  d
}
hs_mask <- mask_hs(hs)

staff <- read.csv(file.path(here, "psych_staff_items.csv"))
staff_model_list <- fromJSON(file.path(here, "psych_staff_model.json"))

syntax <- function(model) {
  paste(sprintf("%s =~ %s", names(model), sapply(model, paste, collapse = " + ")), collapse = "\n")
}

fit_measures <- c("npar", "chisq", "df", "pvalue", "cfi", "tli", "rmsea", "rmsea.ci.lower",
                  "rmsea.ci.upper", "srmr", "logl", "unrestricted.logl", "baseline.chisq",
                  "baseline.df", "ntotal")

cfa_out <- function(fit) {
  fm <- fitMeasures(fit)
  fm <- as.list(fm[intersect(fit_measures, names(fm))])
  pe <- parameterEstimates(fit, standardized = TRUE)
  ld <- pe[pe$op == "=~", ]
  fc <- pe[pe$op == "~~" & pe$lhs != pe$rhs & pe$lhs %in% lavNames(fit, "lv"), ]
  rv <- pe[pe$op == "~~" & pe$lhs == pe$rhs & pe$lhs %in% lavNames(fit, "ov"), ]
  list(
    fit = fm,
    npatterns = if (lavInspect(fit, "options")$missing == "ml") nrow(lavInspect(fit, "patterns")) else 1L,
    nobs = lavInspect(fit, "nobs"),
    loadings = data.frame(factor = ld$lhs, item = ld$rhs, est = ld$est, se = ld$se, std_all = ld$std.all),
    factor_correlations = data.frame(factor = fc$lhs, other = fc$rhs, est = fc$est, se = fc$se),
    residual_variances = data.frame(item = rv$lhs, est = rv$est, se = rv$se, std_all = rv$std.all)
  )
}

# ---- CFA: FIML and listwise ------------------------------------------------------------------
if ("cfa" %in% sections) {
cat("lavaan CFA ...\n")
hs_syntax <- syntax(hs_model_list)
staff_syntax <- syntax(staff_model_list)
staff_items <- unlist(staff_model_list, use.names = FALSE)
single_syntax <- paste("common =~", paste(staff_items, collapse = " + "))
lav <- list(
  versions = versions,
  call = "cfa(model, data, std.lv = TRUE, missing = 'fiml' | 'listwise'); information: lavaan defaults",
  hs_mask_fiml = cfa_out(cfa(hs_syntax, hs_mask, std.lv = TRUE, missing = "fiml")),
  hs_mask_listwise = cfa_out(cfa(hs_syntax, hs_mask, std.lv = TRUE, missing = "listwise")),
  staff_fiml = cfa_out(cfa(staff_syntax, staff, std.lv = TRUE, missing = "fiml")),
  staff_listwise = cfa_out(cfa(staff_syntax, staff, std.lv = TRUE, missing = "listwise")),
  staff_single_fiml = cfa_out(cfa(single_syntax, staff, std.lv = TRUE, missing = "fiml"))
)
# Multi-group FIML (invariance steps) on the masked HS data by school
groups <- list(configural = "none", metric = "loadings", scalar = c("loadings", "intercepts"))
for (step in names(groups)) {
  f <- cfa(hs_syntax, hs_mask, std.lv = TRUE, missing = "fiml", group = "school",
           group.equal = groups[[step]])
  fm <- fitMeasures(f)
  lav[[paste0("hs_mask_school_fiml_", step)]] <- as.list(fm[intersect(fit_measures, names(fm))])
}
out(lav, "lavaan_cfa.json")
}

# ---- KMO, Bartlett, eigenvalues, EFA (psych, pairwise and listwise) --------------------------
if ("validity" %in% sections) {
cat("psych KMO / Bartlett / fa ...\n")
validity <- function(x, nfactors) {
  x <- as.data.frame(x)
  lw <- na.omit(x)
  r_pw <- cor(x, use = "pairwise")
  r_lw <- cor(lw)
  k_pw <- KMO(r_pw)
  k_lw <- KMO(r_lw)
  b_pw <- cortest.bartlett(x)        # raw data: R <- cor(x, use = "pairwise"), n <- nrow(x)
  b_lw <- cortest.bartlett(r_lw, n = nrow(lw))
  fa_out <- function(f) {
    L <- unclass(f$loadings)
    list(loadings = lapply(seq_len(ncol(L)), function(j) unname(L[, j])),
         items = rownames(L), communality = unname(f$communality),
         Phi = if (is.null(f$Phi)) NULL else unname(f$Phi), n_obs = f$n.obs)
  }
  list(
    n_rows = nrow(x), n_complete = nrow(lw), n_pair_min = min(pairwiseCount(x)),
    kmo_pairwise = list(overall = k_pw$MSA, items = unname(k_pw$MSAi)),
    kmo_listwise = list(overall = k_lw$MSA, items = unname(k_lw$MSAi)),
    bartlett_pairwise = b_pw, bartlett_listwise = b_lw,
    eigen_pairwise = eigen(r_pw)$values, eigen_listwise = eigen(r_lw)$values,
    fa_minres_oblimin_pairwise = fa_out(fa(x, nfactors, fm = "minres", rotate = "oblimin")),
    fa_ml_oblimin_pairwise = fa_out(fa(x, nfactors, fm = "ml", rotate = "oblimin")),
    fa_minres_oblimin_listwise = fa_out(fa(lw, nfactors, fm = "minres", rotate = "oblimin"))
  )
}
out(list(
  versions = versions,
  call = paste("KMO(cor(x, use = 'pairwise')); cortest.bartlett(x) (pairwise R, n = nrow(x));",
               "listwise: KMO(cor(na.omit(x))), cortest.bartlett(cor(na.omit(x)), n = nrow(na.omit(x)));",
               "fa(x, nfactors, fm, rotate = 'oblimin') (pairwise R, psych's default use)"),
  hs_mask = validity(hs_mask[hs_items], 3),
  staff = validity(staff, 5)
), "psych_validity.json")
}

# ---- HTMT, CR, AVE (semTools) ----------------------------------------------------------------
if ("htmt" %in% sections) {
cat("semTools htmt / compRelSEM / AVE ...\n")
htmt_out <- function(model_syntax, x) {
  res <- list()
  for (h2 in c(FALSE, TRUE)) {
    lw <- htmt(model_syntax, data = x, missing = "listwise", htmt2 = h2)
    pw <- htmt(model_syntax, sample.cov = cor(x, use = "pairwise"), htmt2 = h2)
    res[[if (h2) "htmt2" else "htmt"]] <- list(factors = rownames(lw), listwise = unname(unclass(lw)),
                                               pairwise = unname(unclass(pw)))
  }
  res
}
rel_out <- function(fit) {
  list(cr_obs = as.list(compRelSEM(fit, obs.var = TRUE)),
       cr_implied = as.list(compRelSEM(fit, obs.var = FALSE)),
       ave_obs = as.list(AVE(fit, obs.var = TRUE)),
       ave_implied = as.list(AVE(fit, obs.var = FALSE)))
}
out(list(
  versions = versions,
  call = paste("htmt(model, data, missing = 'listwise', htmt2 = FALSE | TRUE);",
               "pairwise: htmt(model, sample.cov = cor(x, use = 'pairwise'));",
               "compRelSEM / AVE(cfa(model, data, std.lv = TRUE, missing), obs.var = TRUE | FALSE)"),
  hs = c(htmt_out(hs_syntax, hs[hs_items]),
         rel_out(cfa(hs_syntax, hs, std.lv = TRUE))),
  hs_mask = c(htmt_out(hs_syntax, hs_mask[hs_items]),
              list(fiml = rel_out(cfa(hs_syntax, hs_mask, std.lv = TRUE, missing = "fiml")))),
  staff = c(htmt_out(staff_syntax, staff),
            list(fiml = rel_out(cfa(staff_syntax, staff, std.lv = TRUE, missing = "fiml"))))
), "semtools_htmt_cr_ave.json")
}

# ---- omega (psych), alpha (psych) ------------------------------------------------------------
if ("omega" %in% sections) {
cat("psych omega / alpha ...\n")
omega_out <- function(m, nfactors, ...) {
  o <- omega(m, nfactors = nfactors, plot = FALSE, ...)
  list(omega_h = o$omega_h, omega_tot = o$omega.tot, alpha = o$alpha,
       g = unname(o$schmid$sl[, 1]), h2 = unname(o$schmid$sl[, "h2"]), u2 = unname(o$schmid$sl[, "u2"]),
       items = rownames(o$schmid$sl), key = unname(o$key))
}
bfi_items <- colnames(psych::bfi)[1:25]
bfi <- psych::bfi[, bfi_items]
uni <- function(x) {
  # one factor: psych's omega_t (minres on correlations) and lavaan's one-factor ML omega,
  # compRelSEM(obs.var = FALSE) = (sum lambda)^2 / ((sum lambda)^2 + sum theta) (listwise)
  x <- as.data.frame(x)
  f <- cfa(paste("f =~", paste(names(x), collapse = " + ")), na.omit(x), std.lv = TRUE)
  list(items = names(x), n_complete = nrow(na.omit(x)),
       psych_omega_tot_pairwise = suppressWarnings(suppressMessages(omega(x, nfactors = 1, plot = FALSE)))$omega.tot,
       lavaan_omega_listwise = unname(compRelSEM(f, obs.var = FALSE)),
       alpha_listwise = psych::alpha(na.omit(x), warnings = FALSE)$total$raw_alpha)
}
thurstone <- psych::Thurstone
out(list(
  versions = versions,
  call = "omega(m, nfactors, plot = FALSE) (fm = 'minres', rotate = 'oblimin', pairwise R for raw data)",
  thurstone = c(list(R = unname(thurstone), items = colnames(thurstone)),
                omega_out(thurstone, 3, n.obs = 213)),
  hs = omega_out(hs[hs_items], 3),
  hs_mask = omega_out(hs_mask[hs_items], 3),
  bfi = c(omega_out(bfi, 5), list(col_sums = unname(colSums(bfi, na.rm = TRUE)))),
  unidimensional = list(hs_visual = uni(hs[c("x1", "x2", "x3")]),
                        hs_speed = uni(hs[c("x7", "x8", "x9")]),
                        bfi_neuroticism = uni(bfi[paste0("N", 1:5)])),
  alpha_staff = lapply(staff_model_list, function(its) {
    a_pw <- psych::alpha(staff[its], warnings = FALSE)$total
    a_lw <- psych::alpha(na.omit(staff[its]), warnings = FALSE)$total
    list(pairwise = a_pw$raw_alpha, pairwise_std = a_pw$std.alpha, listwise = a_lw$raw_alpha)
  })
), "psych_omega.json")
}
cat("done\n")
