#!/usr/bin/env Rscript
# lme4's anova() of three nested sleepstudy fits, named by the caller. Tests never run R: the JSON is
# committed.
#
#   Rscript tests/reference/make_lrt_names_reference.R        # from the repository root
#
# Needs R >= 4.2 with lme4 1.1-31 and jsonlite. Writes, in tests/reference/lme4/,
# - lrt_sleepstudy_named.json: anova(slopes, intercepts, uncorrelated) of three REML fits (refitted by ML),
#   rows labelled with the object names lme4 reads from the call, in lme4's order (by npar);
# - lrt_sleepstudy_same_npar.json: anova(no_days, uncorrelated), two models with 5 parameters each (Df 0:
#   lme4 gives no p-value);
# columns as lrt_sleepstudy.json, plus `names` (the object names in the order given), `formulas` (in the
# same order) and `printed` (the lines of print(table): the cells as R shows them).

suppressPackageStartupMessages({
  library(lme4)
  library(jsonlite)
})

data_dir <- "lmmcore/datasets/data"  # the bundled CSV, the bytes lmmcore.datasets.load() reads
out_dir <- "tests/reference/lme4"
stopifnot(dir.exists(data_dir), dir.exists(out_dir))

d <- read.csv(file.path(data_dir, "sleepstudy.csv"), colClasses = "character")
sleepstudy <- data.frame(Reaction = as.numeric(d$Reaction), Days = as.numeric(d$Days),
                         Subject = factor(d$Subject, levels = unique(d$Subject)))

slopes <- lmer(Reaction ~ Days + (Days | Subject), sleepstudy)
intercepts <- lmer(Reaction ~ Days + (1 | Subject), sleepstudy)
uncorrelated <- lmer(Reaction ~ Days + (Days || Subject), sleepstudy)
no_days <- lmer(Reaction ~ 1 + (Days | Subject), sleepstudy)

write_lrt <- function(id, table, names, formulas) {
  fields <- list(
    id = id, data = "sleepstudy", names = names, formulas = formulas,
    refit_ml = TRUE, lme4_version = as.character(packageVersion("lme4")),
    rownames = rownames(table), npar = unname(table$npar), AIC = unname(table$AIC), BIC = unname(table$BIC),
    logLik = unname(table$logLik), deviance = unname(table$deviance), Chisq = unname(table$Chisq),
    Df = unname(table$Df), p = unname(table[["Pr(>Chisq)"]]),
    printed = capture.output(print(table, signif.legend = FALSE))
  )
  path <- file.path(out_dir, paste0(id, ".json"))
  writeLines(toJSON(fields, auto_unbox = TRUE, digits = NA, null = "null", na = "null", pretty = FALSE), path)
  message("wrote ", path)
}

write_lrt("lrt_sleepstudy_named", anova(slopes, intercepts, uncorrelated),
          c("slopes", "intercepts", "uncorrelated"),
          c("Reaction ~ Days + (Days | Subject)", "Reaction ~ Days + (1 | Subject)",
            "Reaction ~ Days + (Days || Subject)"))
write_lrt("lrt_sleepstudy_same_npar", anova(no_days, uncorrelated), c("no_days", "uncorrelated"),
          c("Reaction ~ 1 + (Days | Subject)", "Reaction ~ Days + (Days || Subject)"))
