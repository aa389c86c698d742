# Real tables from R's packages written to CSV as a user would (write.csv, no row names), read back with
# read.csv and fitted by lme4 with the column types an app user sets: the references of
# tests/app/test_upload_references.py. Run from the repository root:
#   Rscript tests/reference/uploads/make_upload_references.R
# R 4.2.2, lme4 1.1-31, nlme and MASS as shipped with R.
suppressPackageStartupMessages({
  library(lme4)
  library(jsonlite)
})
out <- "tests/reference/uploads"

write_table <- function(d, name) {
  write.csv(d, file.path(out, paste0(name, ".csv")), row.names = FALSE)
}

orthodont_na <- as.data.frame(nlme::Orthodont)
orthodont_na$distance[c(3, 17, 40)] <- NA
orthodont_na$Sex[c(17, 60)] <- NA

tables <- list(
  Oats = as.data.frame(nlme::Oats),
  Machines = as.data.frame(nlme::Machines),
  ChickWeight = as.data.frame(datasets::ChickWeight),
  Orthodont = as.data.frame(nlme::Orthodont),
  Alfalfa = as.data.frame(nlme::Alfalfa),
  cbpp = lme4::cbpp,
  Orthodont_na = orthodont_na
)
for (name in names(tables)) write_table(tables[[name]], name)

# name, formula, columns the user sets to factor (R's read.csv reads them as integers)
fits <- list(
  list("Oats", "yield ~ Variety + nitro + (1 | Block)", character()),
  list("Machines", "score ~ Machine + (1 | Worker)", character()),
  list("ChickWeight", "weight ~ Time + Diet + (1 | Chick)", "Diet"),
  list("Orthodont", "distance ~ age + Sex + (1 | Subject)", character()),
  list("Alfalfa", "Yield ~ Date + Variety + (1 | Block)", character()),
  list("cbpp", "incidence/size ~ period + (1 | herd)", "period"),
  list("Orthodont_na", "distance ~ age + Sex + (1 | Subject)", character())
)

for (f in fits) {
  name <- f[[1]]
  d <- read.csv(file.path(out, paste0(name, ".csv")))
  for (column in f[[3]]) d[[column]] <- factor(d[[column]])
  m <- lmer(as.formula(f[[2]]), data = d, REML = TRUE)
  ref <- list(
    data = paste0(name, ".csv"),
    formula = f[[2]],
    factors = f[[3]],
    nrow = nrow(d),
    nobs = nobs(m),
    fixef = as.list(fixef(m)),
    se = as.list(sqrt(diag(as.matrix(vcov(m))))),
    theta = unname(getME(m, "theta")),
    sigma = sigma(m),
    criterion = unname(getME(m, "devcomp")$cmp["REML"]),
    response = deparse(formula(m)[[2]])
  )
  writeLines(toJSON(ref, digits = NA, auto_unbox = TRUE, pretty = TRUE), file.path(out, paste0(name, ".json")))
}
