#!/usr/bin/env Rscript
# lme4's side of the benchmarks, called by bench_engine.py / bench_inference.py when Rscript exists.
#
#   Rscript benchmarks/lme4_times.R <task> <csv> <formula> <factor,columns> <repeats> [nsim]
#
# task: fit (lmer, REML), boot (bootMer of fixef and theta, nsim refits), profile (confint, method
# "profile"), satterthwaite (lmerTest's summary table from a fitted model). Prints one JSON line:
# {"task": ..., "median_seconds": ..., "min_seconds": ..., "repeats": ...}; the fit itself is excluded from the timings of
# the other tasks, as on the Python side.
suppressPackageStartupMessages({
  library(lme4)
  library(jsonlite)
})

args <- commandArgs(trailingOnly = TRUE)
stopifnot(length(args) >= 5)
task <- args[[1]]
factors <- strsplit(args[[4]], ",", fixed = TRUE)[[1]]
repeats <- as.integer(args[[5]])
nsim <- if (length(args) >= 6) as.integer(args[[6]]) else 1000L

data <- read.csv(args[[2]], colClasses = "character")
for (col in names(data)) {
  data[[col]] <- if (col %in% factors) factor(data[[col]], levels = unique(data[[col]])) else as.numeric(data[[col]])
}
formula <- as.formula(args[[3]])

fit <- function() lmer(formula, data = data, REML = TRUE)
tasks <- list(
  fit = function(m) fit(),
  boot = function(m) bootMer(m, function(x) c(fixef(x), getME(x, "theta")), nsim = nsim, seed = 1L),
  profile = function(m) confint(m, method = "profile"),
  satterthwaite = function(m) coef(summary(lmerTest::as_lmerModLmerTest(m)))
)
stopifnot(task %in% names(tasks))
m <- fit()
seconds <- vapply(seq_len(repeats), function(i) system.time(tasks[[task]](m))[["elapsed"]], 0)
cat(toJSON(list(task = task, median_seconds = median(seconds), min_seconds = min(seconds), repeats = repeats),
           auto_unbox = TRUE), "\n")
