{
  "targets": [
    {
      "target_name": "corral-reaper",
      "type": "executable",
      "sources": ["native/reaper/reaper.c", "native/reaper/cgroup.c", "native/reaper/sandbox.c"],
      "cflags": ["-std=gnu11", "-Wall", "-Wextra", "-Werror", "-O2", "-fno-strict-aliasing"],
      "cflags!": ["-Wno-unused-parameter", "-O3"],
      "ldflags": ["-static", "-s"],
      "defines!": ["BUILDING_NODE_EXTENSION", "_LARGEFILE_SOURCE", "_FILE_OFFSET_BITS=64"]
    }
  ]
}
