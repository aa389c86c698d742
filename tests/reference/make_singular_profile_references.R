#!/usr/bin/env Rscript
# Profile intervals of singular fits (lme4's confint(method = "profile")), with the warnings lme4 gave
# while profiling. Tests never run R: the JSON files are committed.
#
#   Rscript tests/reference/make_singular_profile_references.R        # from the repository root
#
# Needs R >= 4.2 with lme4 1.1-31 and jsonlite.
# Writes tests/reference/lme4/singular/profile_<id>.json: id, data, formula, REML, lme4_version, the
# interval ends (confint(m, method = "profile", oldNames = FALSE), 95 %, rows in lme4's order; NA as
# null) and the distinct warning messages raised while computing them.

suppressPackageStartupMessages({
  library(lme4)
  library(jsonlite)
})

out_dir <- "tests/reference/lme4/singular"
cases <- list(
  list(id = "biomass_three_slopes", data = "lmmcore/datasets/data/biomass.csv",
       formula = "Biomass ~ Temp + N + (1 + Temp + N | Site)"),
  list(id = "flat_intercept", data = "tests/reference/data/singular.csv", formula = "y_flat ~ 1 + (1 | g)"),
  list(id = "correlation", data = "tests/reference/data/singular.csv", formula = "y_cor ~ x + (1 + x | g)"),
  list(id = "rank", data = "tests/reference/data/singular.csv", formula = "y_rank ~ x + z + (1 + x + z | g)")
)
for (case in cases) {
  d <- read.csv(case$data)
  m <- suppressMessages(lmer(as.formula(case$formula), data = d, REML = TRUE))
  warnings_seen <- character(0)
  ci <- withCallingHandlers(
    confint(m, method = "profile", oldNames = FALSE),
    warning = function(w) {
      warnings_seen <<- union(warnings_seen, conditionMessage(w))
      invokeRestart("muffleWarning")
    }
  )
  out <- list(
    id = case$id, data = case$data, formula = case$formula, REML = TRUE,
    lme4_version = as.character(packageVersion("lme4")),
    singular = isSingular(m),
    confint_profile = list(names = rownames(ci), lower = unname(ci[, 1]), upper = unname(ci[, 2])),
    warnings = warnings_seen
  )
  write_json(out, file.path(out_dir, paste0("profile_", case$id, ".json")), auto_unbox = TRUE,
             pretty = TRUE, digits = NA, na = "null")
}
