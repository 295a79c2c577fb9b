/*
 * src/xu/profile.h - who keeps the timeline recorder on (profile.c): the
 * profile, inspect, continuous-profile and system-trace sessions each hold
 * it; it stops when the last one lets go (and OPENNRT_TRACE does not keep
 * it on for nrt_close). Sessions of an earlier nrt_init are forgotten.
 */
#pragma once

enum {
    NRT__REC_PROFILE = 1u << 0,
    NRT__REC_INSPECT = 1u << 1,
    NRT__REC_CONTINUOUS = 1u << 2,
    NRT__REC_SYS_TRACE = 1u << 3,
    NRT__REC_SESSION = 1u << 4,
};

void nrt__recorder_hold(unsigned who);
void nrt__recorder_release(unsigned who);
