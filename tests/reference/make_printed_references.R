#!/usr/bin/env Rscript
# How lmerTest prints its summary's fixed effects and its type III ANOVA table, and how lme4 prints the
# random effects, as text: the app's summary tables format their cells the same way. Tests never run R:
# the JSON is committed.
#
#   Rscript tests/reference/make_printed_references.R        # from the repository root
#
# Needs R >= 4.2 with lme4 1.1-31, lmerTest 3.1-3, jsonlite.
# Writes tests/reference/printed/<id>.json: data (file under tests/reference/data or the bundled
# lmmcore/datasets/data), formula, REML, and the printed lines of
#   fixed: printCoefmat(coef(summary(m)), digits = 4) (lmerTest's summary: Estimate, Std. Error, df,
#          t value, Pr(>|t|), significance stars),
#   anova: print(anova(m)) (type III, Satterthwaite; digits 5),
#   varcorr: print(VarCorr(m), comp = c("Variance", "Std.Dev."), digits = 4) (lme4's summary).

suppressPackageStartupMessages({
  library(lme4)
  library(lmerTest)
  library(jsonlite)
})

out_dir <- "tests/reference/printed"
stopifnot(dir.exists(out_dir))

cases <- list(
  list(id = "biomass_seed", data = "lmmcore/datasets/data/biomass.csv",
       formula = "Biomass ~ Temp + N + (1 + Temp | Site)"),
  list(id = "factorial_AxB_x", data = "tests/reference/data/factorial_covariate.csv",
       formula = "y ~ A * B + x + (1 + x | subject)"),
  list(id = "sleepstudy_slopes", data = "lmmcore/datasets/data/sleepstudy.csv",
       formula = "Reaction ~ Days + (Days | Subject)")
)

for (case in cases) {
  d <- read.csv(case$data)
  m <- lmer(as.formula(case$formula), data = d, REML = TRUE)
  fixed <- capture.output(printCoefmat(coef(summary(m)), digits = 4, signif.stars = TRUE,
                                       has.Pvalue = TRUE, P.values = TRUE, signif.legend = FALSE))
  anova_lines <- capture.output(print(anova(m)))
  varcorr <- capture.output(print(VarCorr(m), comp = c("Variance", "Std.Dev."), digits = 4))
  out <- list(id = case$id, data = case$data, formula = case$formula, REML = TRUE,
              lmerTest_version = as.character(packageVersion("lmerTest")),
              fixed = fixed, anova = anova_lines, varcorr = varcorr)
  write_json(out, file.path(out_dir, paste0(case$id, ".json")), auto_unbox = TRUE, pretty = TRUE,
             digits = NA)
}
