#!/usr/bin/env Rscript
# Regenerates the model-quality references of tests/reference/quality (tests never run R: the JSON is
# committed). q_biomass.json and q_sleep_slopes.json came with the project skeleton and are not rewritten.
#
#   Rscript tests/reference/make_quality_references.R        # from the repository root
#
# Needs R >= 4.2 with lme4 1.1-31, performance 0.10.2 (insight 0.19.0), jsonlite (Debian 12:
# r-cran-lme4 r-cran-performance). Writes tests/reference/quality/
#   q_<id>.json: data (a bundled data set, or a file under tests/reference/data), formula, REML,
#     performance_version, R2_marginal, R2_conditional (performance::r2_nakagawa; null when performance
#     gives NA), ICC_adjusted, ICC_unadjusted (performance::icc; null when NA), vif
#     (performance::check_collinearity: Term, VIF, VIF_CI_low, VIF_CI_high, SE_factor, Tolerance; null
#     when performance reports none: fewer than two fixed terms), singular (lme4::isSingular), theta
#     (getME(m, "theta"): lme4's optimum, at which tests compare the arithmetic alone).
#   d_<id>.json: data, column, bw (bw.nrd0), x, y (density(x, n = 512, cut = 3)): the Model check panel's
#     kernel densities.
#   i_<id>.json: group, levels (the deleted groups in lme4's order: first appearance in the data), cooks
#     (cooks.distance(influence(m, groups = group))), fixef_deleted (levels x fixed effects: the fixed
#     effects refitted without each group), fixef_names, converged, theta (the full fit's), and
#     cooks_converged, fixef_deleted_converged: the same with the full fit and every refit run to
#     convergence (lme4's default stopping moves some Cook's distances by ~3e-4 relative).

suppressPackageStartupMessages({
  library(lme4)
  library(performance)
  library(jsonlite)
})

bundled_dir <- "lmmcore/datasets/data"
extra_dir <- "tests/reference/data"
out_dir <- "tests/reference/quality"
stopifnot(dir.exists(bundled_dir), dir.exists(out_dir))

# As lmmcore reads them: bundled grouping columns are factors with levels in order of first appearance;
# the factorial file's text columns are factors with sorted levels (R's default).
read_data <- function(name, factors) {
  bundled <- file.path(bundled_dir, paste0(name, ".csv"))
  if (file.exists(bundled)) {
    d <- read.csv(bundled, colClasses = "character")
    for (col in names(d)) {
      d[[col]] <- if (col %in% factors) factor(d[[col]], levels = unique(d[[col]])) else as.numeric(d[[col]])
    }
    return(d)
  }
  d <- read.csv(file.path(extra_dir, name), stringsAsFactors = FALSE)
  for (col in factors) d[[col]] <- factor(d[[col]])
  d
}

write_reference <- function(id, fields) {
  path <- file.path(out_dir, paste0(id, ".json"))
  writeLines(toJSON(c(list(id = id), fields), auto_unbox = TRUE, digits = NA, null = "null", na = "null",
                    pretty = FALSE), path)
  message("wrote ", path)
}

or_null <- function(x) if (is.null(x) || all(is.na(x))) NULL else unname(x)

vif_field <- function(m) {
  v <- suppressWarnings(check_collinearity(m))
  if (is.null(v)) return(NULL)
  list(Term = I(v$Term), VIF = I(v$VIF), VIF_CI_low = I(v$VIF_CI_low), VIF_CI_high = I(v$VIF_CI_high),
       SE_factor = I(v$SE_factor), Tolerance = I(v$Tolerance))
}

quality_reference <- function(id, data, formula, factors, reml = TRUE) {
  d <- read_data(data, factors)
  m <- lmer(as.formula(formula), data = d, REML = reml)
  r2 <- suppressWarnings(r2_nakagawa(m))
  icc_value <- suppressWarnings(icc(m))
  has_icc <- is.data.frame(icc_value)
  write_reference(id, list(
    data = data, formula = formula, REML = reml,
    performance_version = as.character(packageVersion("performance")),
    R2_marginal = or_null(r2$R2_marginal), R2_conditional = or_null(r2$R2_conditional),
    ICC_adjusted = if (has_icc) or_null(icc_value$ICC_adjusted) else NULL,
    ICC_unadjusted = if (has_icc) or_null(icc_value$ICC_unadjusted) else NULL,
    vif = vif_field(m), singular = isSingular(m), theta = I(unname(getME(m, "theta")))
  ))
}

# Optimizer settings for refits run to convergence: lme4's default (nloptwrap, stopping at 1e-8 absolute
# changes) leaves the fixed effects of some fits ~1e-5 relative from the optimum, and tighter nloptwrap
# tolerances still stop early on flat criteria; bobyqa with a final trust radius of 1e-12 does not.
tight <- lmerControl(optimizer = "bobyqa", optCtrl = list(rhoend = 1e-12, maxfun = 1e5))

matrix_rows <- function(x) lapply(seq_len(nrow(x)), function(i) I(unname(x[i, ])))

# cooks.distance.influence.merMod's formula on given fixed effects: (G - p) / (G p) db' V^-1 db
cooks_from <- function(deleted, fixed, vcov) {
  db <- sweep(deleted, 2, fixed)
  n <- nrow(db)
  p <- ncol(db)
  (n - p) / (n * p) * rowSums((db %*% solve(vcov)) * db)
}

influence_reference <- function(id, data, formula, factors, group, reml = TRUE) {
  d <- read_data(data, factors)
  # influence() refits through update(), which evaluates the call again: REML must be a literal in it
  m <- eval(bquote(lmer(.(as.formula(formula)), data = d, REML = .(reml))))
  infl <- influence(m, groups = group, data = d)
  deleted <- infl[[paste0("fixed.effects[-", group, "]")]]
  # the same deletions with the full fit and every refit run to convergence
  m_tight <- update(m, data = d, control = tight)
  deleted_tight <- do.call(rbind, lapply(infl$deleted, function(level) {
    d$.keep <- d[[group]] != level
    fixef(update(m_tight, data = d, subset = .keep, start = list(theta = getME(m_tight, "theta"))))
  }))
  write_reference(id, list(
    data = data, formula = formula, REML = reml, group = group,
    levels = I(as.character(infl$deleted)), cooks = I(unname(cooks.distance(infl))),
    fixef_deleted = matrix_rows(deleted), fixef_names = I(colnames(deleted)),
    converged = I(unname(infl$converged)), theta = I(unname(getME(m, "theta"))),
    cooks_converged = I(unname(cooks_from(deleted_tight, fixef(m_tight), as.matrix(vcov(m_tight))))),
    fixef_deleted_converged = matrix_rows(deleted_tight)
  ))
}

# The Model check panel's posterior predictive densities: R's density() (bw.nrd0, Gaussian kernel) of
# sleepstudy's Reaction, at 512 points from 3 bandwidths below the minimum to 3 above the maximum.
density_reference <- function(id, data, column) {
  x <- read_data(data, character(0))[[column]]
  d <- density(x, bw = "nrd0", kernel = "gaussian", n = 512, cut = 3)
  write_reference(id, list(data = data, column = column, bw = d$bw, x = I(d$x), y = I(d$y)))
}

density_reference("d_sleep_reaction", "sleepstudy", "Reaction")

quality_reference("q_sleep_uncorrelated", "sleepstudy", "Reaction ~ Days + (Days || Subject)", "Subject")
quality_reference("q_sleep_intercept_ml", "sleepstudy", "Reaction ~ Days + (1 | Subject)", "Subject",
                  reml = FALSE)
quality_reference("q_biomass_interaction", "biomass", "Biomass ~ Temp * N + (1 + Temp | Site)", "Site")
quality_reference("q_biomass_no_intercept", "biomass", "Biomass ~ 0 + Temp + N + (1 + Temp | Site)", "Site")
quality_reference("q_sleep_singular", "sleepstudy", "Reaction ~ Days + (1 | Subject) + (1 | Days)", "Subject")
quality_reference("q_penicillin", "Penicillin", "diameter ~ 1 + (1 | plate) + (1 | sample)",
                  c("plate", "sample"))
quality_reference("q_pastes", "Pastes", "strength ~ 1 + (1 | batch/cask)", c("batch", "cask", "sample"))
quality_reference("q_factorial", "factorial_covariate.csv", "y ~ A * B + x + (1 + x | subject)",
                  c("subject", "A", "B"))
# rank deficient: the empty cell's column Aa2:Bb3 is dropped, A:B keeps one column
quality_reference("q_factorial_missing_cell", "factorial_missing_cell.csv", "y ~ A * B + x + (1 | subject)",
                  c("subject", "A", "B"))

influence_reference("i_sleep", "sleepstudy", "Reaction ~ Days + (Days | Subject)", "Subject", "Subject")
influence_reference("i_sleep_ml", "sleepstudy", "Reaction ~ Days + (1 | Subject)", "Subject", "Subject",
                    reml = FALSE)
influence_reference("i_biomass", "biomass", "Biomass ~ Temp + N + (1 + Temp | Site)", "Site", "Site")
influence_reference("i_pastes", "Pastes", "strength ~ 1 + (1 | batch/cask)", c("batch", "cask", "sample"),
                    "batch")
influence_reference("i_penicillin", "Penicillin", "diameter ~ 1 + (1 | plate) + (1 | sample)",
                    c("plate", "sample"), "sample")
influence_reference("i_factorial", "factorial_covariate.csv", "y ~ A * B + x + (1 + x | subject)",
                    c("subject", "A", "B"), "subject")
