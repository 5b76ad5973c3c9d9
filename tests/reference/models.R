# Reference values for the model tests (tests/test_multilevel.py, test_regression.py,
# test_moderation.py, test_mediation.py, test_descriptives.py, test_compare.py).
#
# Run from the repository root with R >= 4.2 and the packages lme4, multilevel, sandwich, psych,
# jsonlite:
#
#     Rscript tests/reference/models.R
#
# It writes (all under tests/reference/):
#   lme4_reference.json      lme4 fits: sleepstudy, Dyestuff, the sample wave (H6), a boundary fit;
#                            multilevel::ICC1/ICC2; Nakagawa/Johnson and Raudenbush-Bryk R^2 from lme4
#   lme4_boundary.csv        a data set whose between-group variance is exactly zero (lme4: singular)
#   sandwich_reference.json  sandwich::vcovCL(type = "HC1") cluster-robust SEs (CR1)
#   models_bc_boot.csv       a fixed vector of bootstrap replicates
#   models_reference.json    BC and percentile intervals of that vector, Johnson-Neyman boundaries,
#                            lm coefficients (Tal_Or, Garcia), cor.test, anova F change, t.test, p.adjust
# The Python tests read these files, so neither the tests nor CI need R.
# Inputs: R's own data sets (lme4, psych, datasets) and tests/reference/models_sample_staff.csv
# (written by tests/reference/models_extract_sample.py from the bundled sample wave).

suppressPackageStartupMessages({
  library(lme4)
  library(multilevel)
  library(sandwich)
  library(psych)
  library(jsonlite)
})

here <- "tests/reference"
out <- function(x, name) write_json(x, file.path(here, name), digits = NA, auto_unbox = TRUE, pretty = TRUE, na = "null")
versions <- list(R = R.version.string, lme4 = as.character(packageVersion("lme4")),
                 multilevel = as.character(packageVersion("multilevel")),
                 sandwich = as.character(packageVersion("sandwich")), psych = as.character(packageVersion("psych")))

vc <- function(fit) as.data.frame(VarCorr(fit))
lmer_summary <- function(fit) {
  v <- vc(fit)
  list(fixef = as.list(fixef(fit)), se = as.list(sqrt(diag(as.matrix(vcov(fit))))),
       varcorr = lapply(seq_len(nrow(v)), function(i) list(grp = v$grp[i], var1 = v$var1[i],
                                                           var2 = v$var2[i], vcov = v$vcov[i])),
       sigma2 = sigma(fit)^2, reml_criterion = if (isREML(fit)) REMLcrit(fit) else NA,
       deviance = if (isREML(fit)) NA else deviance(fit), AIC = AIC(fit), BIC = BIC(fit),
       is_singular = isSingular(fit), n = nobs(fit))
}

# Nakagawa & Schielzeth (2013) marginal/conditional R^2 with Johnson's (2014) random-slope term,
# evaluated on an lme4 fit: v_f = var(X b), v_r = mean(z' Sigma z), v_e = sigma^2.
nakagawa <- function(fit, z) {
  vf <- var(as.vector(model.matrix(fit) %*% fixef(fit)))
  sig <- as.matrix(VarCorr(fit)[[1]])
  vr <- mean(rowSums((z %*% sig) * z))
  ve <- sigma(fit)^2
  list(var_fixed = vf, var_random = vr, var_residual = ve, marginal = vf / (vf + vr + ve),
       conditional = (vf + vr) / (vf + vr + ve))
}
tau00 <- function(fit) vc(fit)$vcov[1]

# ---- lme4 ------------------------------------------------------------------------------------
lme <- list(versions = versions)
slopes <- lmer(Reaction ~ Days + (Days | Subject), sleepstudy, REML = TRUE)
lme$sleepstudy_slopes_reml <- lmer_summary(slopes)
lme$sleepstudy_slopes_ml <- lmer_summary(lmer(Reaction ~ Days + (Days | Subject), sleepstudy, REML = FALSE))
ri <- lmer(Reaction ~ Days + (1 | Subject), sleepstudy, REML = TRUE)
lme$sleepstudy_intercept_reml <- lmer_summary(ri)
null_ss <- lmer(Reaction ~ 1 + (1 | Subject), sleepstudy, REML = TRUE)
lme$sleepstudy_r2 <- c(nakagawa(slopes, model.matrix(~ Days, sleepstudy)),
                       list(level1 = (sigma(null_ss)^2 - sigma(ri)^2) / sigma(null_ss)^2,
                            level2 = (tau00(null_ss) - tau00(ri)) / tau00(null_ss)))

dy <- lmer(Yield ~ 1 + (1 | Batch), Dyestuff, REML = TRUE)
dy_aov <- aov(Yield ~ as.factor(Batch), Dyestuff)
lme$dyestuff <- c(lmer_summary(dy), list(icc1 = ICC1(dy_aov), icc2 = ICC2(dy_aov),
                                         icc_reml = tau00(dy) / (tau00(dy) + sigma(dy)^2)))

# the bundled sample wave: H6 of surveys/study.yml (climate group-mean centred) and its null model
st <- read.csv(file.path(here, "models_sample_staff.csv"))
for (v in c("CO", "FB", "TC")) {
  st[[paste0(v, "_between")]] <- ave(st[[v]], st$branch_id)
  st[[paste0(v, "_within")]] <- st[[v]] - st[[paste0(v, "_between")]]
}
h6 <- lmer(target_completion ~ EN + CO_within + FB_within + TC_within + CO_between + FB_between + TC_between +
             (1 | branch_id), st, REML = TRUE)
h6_null <- lmer(target_completion ~ 1 + (1 | branch_id), st, REML = TRUE)
st_aov <- aov(target_completion ~ as.factor(branch_id), st)
lme$sample_h6 <- lmer_summary(h6)
lme$sample_null <- c(lmer_summary(h6_null), list(icc1 = ICC1(st_aov), icc2 = ICC2(st_aov),
                                                 icc_reml = tau00(h6_null) / (tau00(h6_null) + sigma(h6_null)^2)))

# exactly zero between-group variance: every group holds the same 10 values in another order
set.seed(20261127)
base <- round(rnorm(10), 6)
bd <- data.frame(g = rep(1:20, each = 10), y = as.vector(sapply(1:20, function(i) sample(base))))
write.csv(bd, file.path(here, "lme4_boundary.csv"), row.names = FALSE)
lme$boundary <- lmer_summary(lmer(y ~ 1 + (1 | g), bd, REML = TRUE))
out(lme, "lme4_reference.json")

# ---- sandwich: cluster-robust (CR1) SEs -------------------------------------------------------
h3 <- lm(EN ~ target_gap + tenure_years + age, st)
sw <- list(versions = versions, sample_h3 = list(
  coef = as.list(coef(h3)),
  se_cr1 = as.list(sqrt(diag(vcovCL(h3, cluster = ~ branch_id, type = "HC1")))),
  se_classical = as.list(sqrt(diag(vcov(h3)))),
  n_clusters = length(unique(st$branch_id)), n = nobs(h3)))
out(sw, "sandwich_reference.json")

# ---- models: BC interval, Johnson-Neyman, lm, cor.test, anova, t.test, p.adjust --------------
ref <- list(versions = versions)

# Bias-corrected percentile interval (Efron, 1987; Efron & Tibshirani, 1993, sec. 14.3) of a fixed,
# skewed vector of replicates: z0 = qnorm(mean(boot < est)), limits at the pnorm(2 z0 -+ z) quantiles
# (type 7, the default of R's quantile and numpy's).
set.seed(1987)
boot <- round(rgamma(1999, shape = 3, scale = 0.1), 8)
est <- 0.25
write.csv(data.frame(boot = boot), file.path(here, "models_bc_boot.csv"), row.names = FALSE)
bc <- function(level) {
  z0 <- qnorm(mean(boot < est))
  zc <- qnorm(1 - (1 - level) / 2)
  p <- pnorm(c(2 * z0 - zc, 2 * z0 + zc))
  list(level = level, z0 = z0, low = unname(quantile(boot, p[1])), high = unname(quantile(boot, p[2])),
       perc_low = unname(quantile(boot, (1 - level) / 2)), perc_high = unname(quantile(boot, 1 - (1 - level) / 2)))
}
ref$bc <- list(estimate = est, n = length(boot), ci95 = bc(0.95), ci90 = bc(0.90))

# Johnson-Neyman boundaries (Bauer & Curran, 2005, eq. 14; Hayes, 2022, sec. 7.4): the values of w at
# which the conditional effect b1 + b3 w of x has |t| = t_crit(df), i.e. the roots of
# (b3^2 - t^2 V33) w^2 + 2 (b1 b3 - t^2 V13) w + (b1^2 - t^2 V11) = 0, from lm's coefficients and vcov.
jn <- function(fit, x, w, level = 0.95) {
  b <- coef(fit); V <- vcov(fit); xw <- paste0(x, ":", w)
  tc <- qt(1 - (1 - level) / 2, df.residual(fit))
  qa <- b[xw]^2 - tc^2 * V[xw, xw]
  qb <- 2 * (b[x] * b[xw] - tc^2 * V[x, xw])
  qc <- b[x]^2 - tc^2 * V[x, x]
  roots <- sort(unname(c((-qb - sqrt(qb^2 - 4 * qa * qc)) / (2 * qa), (-qb + sqrt(qb^2 - 4 * qa * qc)) / (2 * qa))))
  slope <- unname(b[x] + b[xw] * roots)
  se <- unname(sqrt(V[x, x] + 2 * roots * V[x, xw] + roots^2 * V[xw, xw]))
  list(boundaries = roots, slope = slope, se = se, t_crit = tc, df = df.residual(fit),
       w_range = range(model.frame(fit)[[w]]))
}
ref$jn_mtcars <- jn(lm(mpg ~ hp * wt, mtcars), "hp", "wt")
garcia_fit <- lm(liking ~ prot2 * sexism, Garcia)
ref$jn_garcia <- jn(garcia_fit, "prot2", "sexism")
ref$garcia_model1 <- list(coef = as.list(coef(garcia_fit)), se = as.list(sqrt(diag(vcov(garcia_fit)))))

# simple mediation on Tal_Or (Hayes, 2013, ch. 3): a, b, c, c' by lm; ab; SD(reaction)
a_fit <- lm(pmi ~ cond, Tal_Or); b_fit <- lm(reaction ~ cond + pmi, Tal_Or); c_fit <- lm(reaction ~ cond, Tal_Or)
ref$tal_or <- list(a = unname(coef(a_fit)["cond"]), b = unname(coef(b_fit)["pmi"]), c = unname(coef(c_fit)["cond"]),
                   c_prime = unname(coef(b_fit)["cond"]), ab = unname(coef(a_fit)["cond"] * coef(b_fit)["pmi"]),
                   sd_reaction = sd(Tal_Or$reaction), se_a = unname(sqrt(diag(vcov(a_fit)))["cond"]),
                   se_b = unname(sqrt(diag(vcov(b_fit)))["pmi"]))

# correlations (cor.test: t test and Fisher-z interval)
ct <- function(a, b) { r <- cor.test(a, b); list(r = unname(r$estimate), p = r$p.value, low = r$conf.int[1],
                                                  high = r$conf.int[2], df = unname(r$parameter)) }
ref$cor_mtcars <- list(mpg_hp = ct(mtcars$mpg, mtcars$hp), mpg_disp = ct(mtcars$mpg, mtcars$disp),
                       hp_wt = ct(mtcars$hp, mtcars$wt))

# hierarchical regression: F change of adding hp and qsec to mpg ~ wt
m1 <- lm(mpg ~ wt, mtcars); m2 <- lm(mpg ~ wt + hp + qsec, mtcars); av <- anova(m1, m2)
ref$f_change_mtcars <- list(r2 = c(summary(m1)$r.squared, summary(m2)$r.squared), f = av$F[2], df1 = av$Df[2],
                            df2 = av$Res.Df[2], p = av$`Pr(>F)`[2])

# Welch's t test (R's default t.test) and Holm's adjustment
tt <- t.test(mtcars$mpg[mtcars$am == 1], mtcars$mpg[mtcars$am == 0])
ref$welch_mtcars_am <- list(t = unname(tt$statistic), df = unname(tt$parameter), p = tt$p.value,
                            low = tt$conf.int[1], high = tt$conf.int[2],
                            diff = unname(tt$estimate[1] - tt$estimate[2]))
tt90 <- t.test(mtcars$mpg[mtcars$am == 1], mtcars$mpg[mtcars$am == 0], conf.level = 0.90)
ref$welch_mtcars_am$low90 <- tt90$conf.int[1]
ref$welch_mtcars_am$high90 <- tt90$conf.int[2]
pv <- c(0.01, 0.04, NA, 0.03, 0.005, 0.2)
ref$holm <- list(p = pv, adjusted = p.adjust(pv, "holm"))
out(ref, "models_reference.json")
