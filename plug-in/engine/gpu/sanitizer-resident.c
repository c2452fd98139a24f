/* sanitizer-resident.c: compiled into every program of a sanitizer build
 * only (plug-in/engine/meson.build), never into a release.
 *
 * The Vulkan loader unloads the driver and the layers when the last
 * instance is destroyed.  Lavapipe and the validation layer keep some
 * allocations until process exit (Mesa 22.3.6+deb12u2's lavapipe reallocates
 * a 128-byte array it never frees); once their code is unmapped
 * LeakSanitizer can only call the allocating frame "<unknown module>", and
 * tests/sanitizers.supp, which names those libraries, cannot match it.
 * Loading them once more with RTLD_NODELETE keeps them mapped to the end,
 * so their own leaks stay attributed to them while ours are still reported.
 * A library that is not installed is simply not loaded here. */
#include <dlfcn.h>

__attribute__ ((constructor)) static void
se_keep_vulkan_libraries_resident (void)
{
  static const char *const libraries[] = {
    "libvulkan_lvp.so",
    "libVkLayer_khronos_validation.so",
  };
  for (unsigned i = 0; i < sizeof libraries / sizeof libraries[0]; i++)
    dlopen (libraries[i], RTLD_NOW | RTLD_NODELETE);
}
