#!/usr/bin/env Rscript
# Reference GARCH(p,q) fits for `pnpm bench:garch`: R's fGarch and tseries, timed in-process.
# Usage: Rscript reference.R FILE.csv P Q DIST REPS [TOOLS]
#   FILE.csv  one column of returns with a header
#   P, Q      ARCH and GARCH orders (p = alpha terms, q = beta terms, as in @mlops/garch)
#   DIST      normal | t
#   REPS      timed repetitions after one warm-up (median reported; 0 = fit once, no timing)
#   TOOLS     comma list of fgarch,tseries (default both; tseries is Normal-only)
# Prints one JSON object per tool on stdout: tool, params (in @mlops/garch names), loglik as the
# tool reports it, fit_ms, and the optimiser's message where the tool gives one.
# Conventions: fGarch fits a constant mean with pre-sample 'mci' (the fcp convention) and
# reports -LL; tseries has no mean term (so it gets demeaned data), writes order = c(q, p),
# and its LL drops the first max(p, q) observations. Compare tools by evaluating one
# likelihood at each tool's parameters, not by their own LL figures.
# Debian packages: r-base-core r-cran-fgarch r-cran-tseries r-cran-jsonlite
suppressMessages({library(fGarch); library(tseries); library(jsonlite)})
a <- commandArgs(trailingOnly = TRUE)
x <- read.csv(a[1])[[1]]
p <- as.integer(a[2]); q <- as.integer(a[3]); dist <- a[4]; reps <- as.integer(a[5])
tools <- if (length(a) >= 6) strsplit(a[6], ",")[[1]] else c("fgarch", "tseries")
now <- function() as.numeric(Sys.time())
time_it <- function(f) {
  if (reps == 0) { f(); return(NA) }
  f(); ms <- numeric(reps)
  for (i in seq_len(reps)) { t0 <- now(); f(); ms[i] <- (now() - t0) * 1000 }
  median(ms)
}
emit <- function(tool, params, loglik, ms, message) {
  cat(toJSON(list(tool = tool, n = length(x), p = p, q = q, dist = dist, fit_ms = ms,
    params = params, loglik = loglik, message = message),
    auto_unbox = TRUE, digits = NA, na = "null"), "\n")
}
if ("fgarch" %in% tools) {
  fit <- NULL
  ms <- suppressWarnings(time_it(function() fit <<- garchFit(
    as.formula(sprintf("~garch(%d,%d)", p, q)), data = x, include.mean = TRUE,
    cond.dist = if (dist == "t") "std" else "norm", trace = FALSE)))
  cf <- fit@fit$coef
  params <- list(mu = unname(cf["mu"]), omega = unname(cf["omega"]),
    alpha = unname(cf[paste0("alpha", seq_len(p))]),
    beta = if (q > 0) unname(cf[paste0("beta", seq_len(q))]) else list())
  if (dist == "t") params$nu <- unname(cf["shape"])
  emit("fGarch", params, -unname(fit@fit$llh), ms, fit@fit$message)
}
if ("tseries" %in% tools && dist == "normal") {
  g <- NULL
  xd <- x - mean(x)
  ms <- suppressWarnings(time_it(function() g <<- garch(xd, order = c(q, p), trace = FALSE)))
  cf <- coef(g)
  params <- list(omega = unname(cf["a0"]), alpha = unname(cf[paste0("a", seq_len(p))]),
    beta = if (q > 0) unname(cf[paste0("b", seq_len(q))]) else list())
  emit("tseries", params, as.numeric(logLik(g)), ms, NA)
}
