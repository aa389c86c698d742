#!/usr/bin/env Rscript
# Regenerates the lme4 references this script owns (the other files of tests/reference/lme4 came with
# the project skeleton). Tests never run R: the JSON is committed.
#
#   Rscript tests/reference/make_references.R        # from the repository root
#
# Needs R >= 4.2 with lme4 1.1-31, lmerTest 3.1-3, jsonlite (Debian 12: r-cran-lme4 r-cran-lmertest).
# Writes tests/reference/lme4/
#   lrt_sleepstudy.json, lrt_biomass.json: lme4's anova(m0, m1) of two REML fits (refitted by ML):
#     formulas (m0, m1), rownames, and per row npar, AIC, BIC, logLik, deviance, Chisq, Df, p
#     (Pr(>Chisq)); Chisq, Df and p are null on the first row.
#   penicillin_sample_fixed.json (a factor's treatment contrasts, sampleB..sampleF) and
#   sleepstudy_log_quadratic_uncorrelated.json (calls in the formula, `||`): the fields of the other
#   fit references (tests/reference/README.md) up to ranef, plus lmerTest's satterthwaite and
#   anova_satterthwaite.

suppressPackageStartupMessages({
  library(lme4)
  library(lmerTest)
  library(jsonlite)
})

data_dir <- "lmmcore/datasets/data"
out_dir <- "tests/reference/lme4"
stopifnot(dir.exists(data_dir), dir.exists(out_dir))

# Grouping columns become factors with levels in order of first appearance (the original R data sets'
# order), the rest stay numeric, exactly as lmmcore.datasets.load() reads them.
read_bundled <- function(name, factors) {
  d <- read.csv(file.path(data_dir, paste0(name, ".csv")), colClasses = "character")
  for (col in names(d)) {
    d[[col]] <- if (col %in% factors) factor(d[[col]], levels = unique(d[[col]])) else as.numeric(d[[col]])
  }
  d
}

write_reference <- function(id, fields) {
  path <- file.path(out_dir, paste0(id, ".json"))
  writeLines(toJSON(c(list(id = id), fields), auto_unbox = TRUE, digits = NA, null = "null", na = "null",
                    pretty = FALSE), path)
  message("wrote ", path)
}

as_matrix_field <- function(m) {
  list(rownames = rownames(m), colnames = colnames(m), values = matrix_rows(m))
}

# rows of a matrix as JSON arrays, kept as arrays even with one column (I() stops auto_unbox)
matrix_rows <- function(m) lapply(seq_len(nrow(m)), function(i) I(unname(m[i, ])))

# conditional SDs, one row per level: square roots of the diagonals of a k x k x nlevels array
postvar_sd <- function(a) matrix(sqrt(apply(a, 3, diag)), nrow = dim(a)[3], byrow = TRUE)

ranef_field <- function(m) {
  re <- ranef(m, condVar = TRUE)
  lapply(names(re), function(g) {
    modes <- as.matrix(re[[g]])
    post <- attr(re[[g]], "postVar")
    # one k x k x nlevels array, or (several terms on one factor, as with `||`) a list of such arrays
    sds <- if (is.list(post)) do.call(cbind, lapply(post, postvar_sd)) else postvar_sd(post)
    list(group = g, levels = rownames(modes), terms = colnames(modes),
         modes = matrix_rows(modes), condsd = matrix_rows(sds))
  })
}

fit_fields <- function(formula, data, data_name) {
  seconds <- system.time(lme4::lmer(formula, data = data, REML = TRUE))[["elapsed"]]
  m <- lmerTest::lmer(formula, data = data, REML = TRUE)
  coefs <- coef(summary(m))
  aov <- anova(m)
  vc <- as.data.frame(VarCorr(m))
  list(
    data = data_name, formula = deparse(formula), REML = TRUE,
    lme4_version = as.character(packageVersion("lme4")), fit_seconds = seconds,
    nobs = nobs(m), ngroups = as.list(ngrps(m)),
    fixef = as.list(fixef(m)), se = as.list(sqrt(diag(as.matrix(vcov(m))))),
    vcov = as_matrix_field(as.matrix(vcov(m))),
    theta = unname(getME(m, "theta")), theta_names = names(getME(m, "theta")),
    sigma = sigma(m),
    varcorr = lapply(seq_len(nrow(vc)), function(i) as.list(vc[i, ])),
    criterion = unname(REMLcrit(m)), logLik = as.numeric(logLik(m)), AIC = AIC(m), BIC = BIC(m),
    deviance_ml = NULL, singular = isSingular(m),
    scaled_resid_quantiles = unname(quantile(residuals(m, scaled = TRUE))),
    fitted = unname(fitted(m)), resid = unname(residuals(m)),
    ranef = ranef_field(m),
    satterthwaite = list(terms = rownames(coefs), df = unname(coefs[, "df"]), p = unname(coefs[, "Pr(>|t|)"])),
    anova_satterthwaite = list(terms = rownames(aov), F = unname(aov[["F value"]]), NumDF = unname(aov[["NumDF"]]),
                               DenDF = unname(aov[["DenDF"]]), p = unname(aov[["Pr(>F)"]]))
  )
}

# anova(m0, m1) on REML fits: lme4 refits both by maximum likelihood and compares deviances.
lrt_fields <- function(formulas, data, data_name) {
  models <- lapply(formulas, function(f) lme4::lmer(f, data = data, REML = TRUE))
  table <- do.call(anova, c(unname(models), list(model.names = c("m0", "m1"))))
  list(
    data = data_name, formulas = vapply(formulas, deparse, ""), refit_ml = TRUE,
    lme4_version = as.character(packageVersion("lme4")),
    rownames = rownames(table), npar = unname(table$npar), AIC = unname(table$AIC), BIC = unname(table$BIC),
    logLik = unname(table$logLik), deviance = unname(table$deviance), Chisq = unname(table$Chisq),
    Df = unname(table$Df), p = unname(table[["Pr(>Chisq)"]])
  )
}

sleepstudy <- read_bundled("sleepstudy", "Subject")
biomass <- read_bundled("biomass", "Site")
penicillin <- read_bundled("Penicillin", c("plate", "sample"))

write_reference("lrt_sleepstudy", lrt_fields(
  list(Reaction ~ Days + (1 | Subject), Reaction ~ Days + (Days | Subject)), sleepstudy, "sleepstudy"))
write_reference("lrt_biomass", lrt_fields(
  list(Biomass ~ Temp + N + (1 | Site), Biomass ~ Temp + N + (1 + Temp | Site)), biomass, "biomass"))
write_reference("penicillin_sample_fixed", fit_fields(diameter ~ sample + (1 | plate), penicillin, "Penicillin"))
write_reference("sleepstudy_log_quadratic_uncorrelated",
                fit_fields(log(Reaction) ~ Days + I(Days^2) + (Days || Subject), sleepstudy, "sleepstudy"))
