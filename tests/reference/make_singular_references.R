#!/usr/bin/env Rscript
# Singular fits (isSingular(m) is TRUE) for the diagnosis of which term is degenerate and how. Tests never
# run R: the CSV and the JSON are committed.
#
#   Rscript tests/reference/make_singular_references.R        # from the repository root
#
# Needs R >= 4.2 with lme4 1.1-31 and jsonlite.
# Writes tests/reference/data/singular.csv (seeded: 30 groups g of 8 rows, x and z ~ U(-2, 2); responses
#   y_flat: no between-group variation at all (group means removed);
#   y_cor: random intercepts b0 ~ N(0, 1) and slopes exactly 0.5 * b0 (correlation +1);
#   y_rank: three random effects with b2 = b0 - b1 (a 3 x 3 covariance of rank 2, no pair correlated +-1),
#     the first noise draw whose fit lme4 finds singular;
#   y_two: independent random intercepts and slopes by g and nothing by h, so (1 | h) is fitted as 0)
# and tests/reference/lme4/singular/<id>.json: formula, REML, isSingular, theta (names, values), varcorr
# (as.data.frame(VarCorr(m))) and rePCA (per term: sdev, the singular values of the relative factor).

suppressPackageStartupMessages({
  library(lme4)
  library(jsonlite)
})

data_file <- "tests/reference/data/singular.csv"
out_dir <- "tests/reference/lme4/singular"
dir.create(out_dir, showWarnings = FALSE)

set.seed(20261205)
n_groups <- 30
n_per <- 8
g <- rep(sprintf("g%02d", seq_len(n_groups)), each = n_per)
h <- rep(sprintf("h%d", 1:6), length.out = n_groups * n_per)
x <- round(runif(n_groups * n_per, -2, 2), 3)
z <- round(runif(n_groups * n_per, -2, 2), 3)
idx <- match(g, unique(g))
b0 <- rnorm(n_groups)
b1 <- rnorm(n_groups, sd = 0.7)
e <- function(sd) rnorm(n_groups * n_per, sd = sd)
flat <- e(1)
y_flat <- round(5 + flat - ave(flat, g), 4)
y_cor <- round(1 + 0.3 * x + b0[idx] + 0.5 * b0[idx] * x + e(0.5), 4)
y_two <- round(3 + 0.5 * x + b0[idx] + b1[idx] * x + e(0.5), 4)
# A rank-deficient truth gives a singular estimate only for some noise draws: take the first that does.
for (attempt in 1:50) {
  y_rank <- round(2 + b0[idx] + b1[idx] * x + (b0[idx] - b1[idx]) * z + e(0.3), 4)
  fit_rank <- lmer(y_rank ~ x + z + (1 + x + z | g), REML = TRUE)
  if (isSingular(fit_rank)) break
}
d <- data.frame(g, h, x, z, y_flat, y_cor, y_rank, y_two)
write.csv(d, data_file, row.names = FALSE)
d <- read.csv(data_file)

cases <- list(
  list(id = "flat_intercept", formula = "y_flat ~ 1 + (1 | g)"),
  list(id = "correlation", formula = "y_cor ~ x + (1 + x | g)"),
  list(id = "rank", formula = "y_rank ~ x + z + (1 + x + z | g)"),
  list(id = "two_terms", formula = "y_two ~ x + (1 + x | g) + (1 | h)")
)
for (case in cases) {
  m <- lmer(as.formula(case$formula), data = d, REML = TRUE)
  pca <- rePCA(m)
  out <- list(
    id = case$id, data = "singular.csv", formula = case$formula, REML = TRUE,
    lme4_version = as.character(packageVersion("lme4")),
    singular = isSingular(m),
    theta = list(names = names(getME(m, "theta")), values = unname(getME(m, "theta"))),
    varcorr = as.data.frame(VarCorr(m)),
    rePCA = lapply(pca, function(p) list(sdev = p$sdev))
  )
  write_json(out, file.path(out_dir, paste0(case$id, ".json")), auto_unbox = TRUE, pretty = TRUE,
             digits = NA, na = "null")
}
