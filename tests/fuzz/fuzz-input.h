/* fuzz-input.h: what the libFuzzer harnesses share: the input as a file
 * (the readers under test take paths and map them), and where the
 * reference data is. */
#pragma once

#include <glib.h>
#include <stdint.h>

/* Writes data to a file of this process (kept between runs) with the given
 * name ending, and returns its path. */
const char *fuzz_input_file (const uint8_t *data, size_t size, const char *suffix);
/* SE_REFERENCE_DIR, or ../shared/reference from the source tree. */
const char *fuzz_reference_dir (void);
