# oci/: fuzz targets for the config/resources/process parsers (libFuzzer, clang).
