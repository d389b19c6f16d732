/*
 * MetricsPath: the scoreboard in the Prometheus text exposition format
 * (0.0.4), from the same scoreview as the status page: counters end in
 * _total and never go backwards within one master's life, generations
 * and their MPM are labels, durations are a histogram in seconds.
 */
#ifndef MPMD_METRICS_H
#define MPMD_METRICS_H

#include <stddef.h>

struct scoreview;

#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"

/* A malloc'd body of *LEN bytes, or NULL when out of memory. */
char *metrics_render(const struct scoreview *v, size_t *len);

#endif
