#!/usr/bin/env Rscript
# lmerTest's type III F tests (anova(m), Satterthwaite) for models with interactions. Tests never run R:
# the CSV and the JSON are committed.
#
#   Rscript tests/reference/make_anova_references.R        # from the repository root
#
# Needs R >= 4.2 with lme4 1.1-31, lmerTest 3.1-3, jsonlite.
# Writes
#   tests/reference/data/factorial_covariate.csv: a seeded simulated 2 x 3 factorial (A: a1, a2;
#     B: b1, b2, b3) within 12 subjects, 2 replicates per cell, a numeric covariate x, 10 rows dropped
#     at random so the design is unbalanced (type III differs from type I / II); y has real effects of A,
#     B, A:B, x, A:x and random subject intercepts and x slopes.  Written once: the other fits read it back.
#   tests/reference/data/factorial_missing_cell.csv: the same data without the cell (a2, b3) (its column
#     Aa2:Bb3 is zero and lme4 drops it), factorial_missing_b3_cell.csv without (a1, b3) instead (Aa2:Bb3
#     then equals Bb3 and is dropped).
#   tests/reference/lme4/anova_type3/<id>.json (a folder of its own: the tests that check every fit of
#     lme4/*.json against the bundled data sets must not pick these up): data (file name under tests/reference/data), formula,
#     REML, fixef (named), theta, criterion (REML criterion), satterthwaite (coef(summary(m)): terms, df,
#     p), anova_type3 (anova(m): terms, F, NumDF, DenDF, p, and Sum Sq / Mean Sq), and the type III
#     hypothesis matrices lmerTest tests (terms, each {rownames, colnames, values} row-major).

suppressPackageStartupMessages({
  library(lme4)
  library(lmerTest)
  library(jsonlite)
})

data_dir <- "tests/reference/data"
out_dir <- "tests/reference/lme4/anova_type3"
stopifnot(dir.exists(data_dir), dir.exists(out_dir))

simulate_factorial <- function() {
  set.seed(20261126)
  d <- expand.grid(rep = 1:2, B = c("b1", "b2", "b3"), A = c("a1", "a2"),
                   subject = sprintf("s%02d", 1:12), stringsAsFactors = FALSE)
  d <- d[, c("subject", "A", "B", "rep")]
  d$x <- round(rnorm(nrow(d), mean = 1, sd = 1), 2)
  subj <- match(d$subject, unique(d$subject))
  b0 <- rnorm(12, sd = 1.5)
  b1 <- rnorm(12, sd = 0.4)
  cell <- c(b1 = 0, b2 = 0.8, b3 = -0.5)[d$B] + (d$A == "a2") * (1 + c(b1 = 0, b2 = -1.2, b3 = 0.6)[d$B])
  d$y <- round(10 + cell + (0.7 + 0.5 * (d$A == "a2") + b1[subj]) * d$x + b0[subj] + rnorm(nrow(d)), 3)
  d <- d[-sample(nrow(d), 10), ]
  d$rep <- NULL
  d
}

read_data <- function(file) {
  d <- read.csv(file.path(data_dir, file), stringsAsFactors = FALSE)
  for (col in c("subject", "A", "B")) d[[col]] <- factor(d[[col]])
  d
}

matrix_field <- function(m) {
  list(rownames = rownames(m), colnames = colnames(m),
       values = lapply(seq_len(nrow(m)), function(i) I(unname(m[i, ]))))
}

anova_fields <- function(formula, file) {
  d <- read_data(file)
  m <- lmerTest::lmer(formula, data = d, REML = TRUE)
  coefs <- coef(summary(m))
  aov <- anova(m, type = "III", ddf = "Satterthwaite")
  hypotheses <- lmerTest:::get_contrasts_type3(m)
  list(
    data = file, formula = deparse(formula), REML = TRUE,
    lme4_version = as.character(packageVersion("lme4")),
    lmerTest_version = as.character(packageVersion("lmerTest")),
    nobs = nobs(m), fixef = as.list(fixef(m)),
    theta = unname(getME(m, "theta")), criterion = unname(REMLcrit(m)),
    satterthwaite = list(terms = rownames(coefs), df = unname(coefs[, "df"]), p = unname(coefs[, "Pr(>|t|)"])),
    anova_type3 = list(terms = rownames(aov), F = unname(aov[["F value"]]), NumDF = unname(aov[["NumDF"]]),
                       DenDF = unname(aov[["DenDF"]]), p = unname(aov[["Pr(>F)"]]),
                       SumSq = unname(aov[["Sum Sq"]]), MeanSq = unname(aov[["Mean Sq"]])),
    hypotheses = list(terms = names(hypotheses), matrices = unname(lapply(hypotheses, matrix_field)))
  )
}

write_reference <- function(id, fields) {
  path <- file.path(out_dir, paste0(id, ".json"))
  writeLines(toJSON(c(list(id = id), fields), auto_unbox = TRUE, digits = NA, null = "null", na = "null",
                    pretty = FALSE), path)
  message("wrote ", path)
}

full_file <- "factorial_covariate.csv"
missing_file <- "factorial_missing_cell.csv"
missing_b3_file <- "factorial_missing_b3_cell.csv"
if (!file.exists(file.path(data_dir, full_file))) {
  write.csv(simulate_factorial(), file.path(data_dir, full_file), row.names = FALSE)
}
full <- read.csv(file.path(data_dir, full_file), stringsAsFactors = FALSE)
write.csv(full[!(full$A == "a2" & full$B == "b3"), ], file.path(data_dir, missing_file), row.names = FALSE)
write.csv(full[!(full$A == "a1" & full$B == "b3"), ], file.path(data_dir, missing_b3_file), row.names = FALSE)

write_reference("AxB", anova_fields(y ~ A * B + (1 | subject), full_file))
write_reference("Axx", anova_fields(y ~ A * x + (1 | subject), full_file))
write_reference("A_B_AB_x_slopes", anova_fields(y ~ A + B + A:B + x + (1 + x | subject), full_file))
write_reference("Bxx", anova_fields(y ~ B * x + (1 | subject), full_file))
write_reference("AxBxx", anova_fields(y ~ A * B * x + (1 | subject), full_file))
write_reference("x_AB_no_A", anova_fields(y ~ x + B + x:A + (1 | subject), full_file))
write_reference("x_AB_cells", anova_fields(y ~ x + A:B + (1 | subject), full_file))
write_reference("AxB_no_intercept", anova_fields(y ~ 0 + A * B + (1 | subject), full_file))
write_reference("AxB_missing_cell", anova_fields(y ~ A * B + (1 | subject), missing_file))
write_reference("AxB_missing_b3_cell", anova_fields(y ~ A * B + (1 | subject), missing_b3_file))
write_reference("AxBxx_missing_cell", anova_fields(y ~ A * B * x + (1 | subject), missing_b3_file))
