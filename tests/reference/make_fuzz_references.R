#!/usr/bin/env Rscript
# Fits the fuzz models (tests/reference/data/fuzz/models.csv, written with their data by
# make_fuzz_references.py, which then runs this script) and writes one JSON per model to
# tests/reference/lme4/fuzz/<id>.json. Tests never run R: the JSON is committed.
#
# Fields (see tests/reference/README.md): id, data, formula, REML, nobs, ngroups, fixef, se, theta,
# theta_names, sigma, varcorr, criterion (REML criterion or deviance), logLik, singular, ranef (modes and
# condsd per level), messages (lme4's messages and warnings, in order), error (lme4's error, if any).
#
# Data are read as lmer sees a CSV: read.csv's defaults (text columns stay character and lmer makes them
# factors with sorted levels; "NA" is missing).

suppressPackageStartupMessages({
  library(lme4)
  library(jsonlite)
})

data_dir <- "tests/reference/data/fuzz"
out_dir <- "tests/reference/lme4/fuzz"
stopifnot(dir.exists(data_dir))
dir.create(out_dir, showWarnings = FALSE)

matrix_rows <- function(m) lapply(seq_len(nrow(m)), function(i) I(unname(m[i, ])))
postvar_sd <- function(a) matrix(sqrt(apply(a, 3, diag)), nrow = dim(a)[3], byrow = TRUE)

ranef_field <- function(m) {
  re <- ranef(m, condVar = TRUE)
  lapply(names(re), function(g) {
    modes <- as.matrix(re[[g]])
    post <- attr(re[[g]], "postVar")
    sds <- if (is.list(post)) do.call(cbind, lapply(post, postvar_sd)) else postvar_sd(post)
    list(group = g, levels = rownames(modes), terms = I(colnames(modes)),
         modes = matrix_rows(modes), condsd = matrix_rows(sds))
  })
}

fit_fields <- function(m, reml) {
  vc <- as.data.frame(VarCorr(m))
  list(
    nobs = nobs(m), ngroups = as.list(ngrps(m)),
    fixef = as.list(fixef(m)), se = as.list(sqrt(diag(as.matrix(vcov(m))))),
    theta = I(unname(getME(m, "theta"))), theta_names = I(names(getME(m, "theta"))),
    sigma = sigma(m),
    varcorr = lapply(seq_len(nrow(vc)), function(i) as.list(vc[i, ])),
    criterion = if (reml) unname(REMLcrit(m)) else deviance(m),
    logLik = as.numeric(logLik(m)), singular = isSingular(m),
    ranef = ranef_field(m)
  )
}

models <- read.csv(file.path(data_dir, "models.csv"), stringsAsFactors = FALSE)
for (i in seq_len(nrow(models))) {
  spec <- models[i, ]
  data <- read.csv(file.path(data_dir, paste0(spec$data, ".csv")))
  notes <- character()
  fields <- tryCatch(
    withCallingHandlers({
      m <- lmer(as.formula(spec$formula), data = data, REML = spec$REML)
      fit_fields(m, spec$REML)
    },
    message = function(c) { notes <<- c(notes, trimws(conditionMessage(c))); invokeRestart("muffleMessage") },
    warning = function(c) { notes <<- c(notes, conditionMessage(c)); invokeRestart("muffleWarning") }),
    error = function(e) list(error = conditionMessage(e))
  )
  out <- c(list(id = spec$id, data = spec$data, formula = spec$formula, REML = spec$REML,
                lme4_version = as.character(packageVersion("lme4"))),
           fields, list(messages = I(notes)))
  path <- file.path(out_dir, paste0(spec$id, ".json"))
  writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, null = "null", na = "null"), path)
  message("wrote ", path)
}
