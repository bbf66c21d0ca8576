
# Consider dependencies only in project.
set(CMAKE_DEPENDS_IN_PROJECT_ONLY OFF)

# The set of languages for which implicit dependencies are needed:
set(CMAKE_DEPENDS_LANGUAGES
  )

# The set of dependency files which are needed:
set(CMAKE_DEPENDS_DEPENDENCY_FILES
  "/work/main/build2/hb_spirv_table.c" "CMakeFiles/hatebm_core.dir/hb_spirv_table.c.o" "gcc" "CMakeFiles/hatebm_core.dir/hb_spirv_table.c.o.d"
  "/work/main/src/base/base.c" "CMakeFiles/hatebm_core.dir/src/base/base.c.o" "gcc" "CMakeFiles/hatebm_core.dir/src/base/base.c.o.d"
  "/work/main/src/config/config.c" "CMakeFiles/hatebm_core.dir/src/config/config.c.o" "gcc" "CMakeFiles/hatebm_core.dir/src/config/config.c.o.d"
  "/work/main/src/data/batcher.c" "CMakeFiles/hatebm_core.dir/src/data/batcher.c.o" "gcc" "CMakeFiles/hatebm_core.dir/src/data/batcher.c.o.d"
  "/work/main/src/data/dataset.c" "CMakeFiles/hatebm_core.dir/src/data/dataset.c.o" "gcc" "CMakeFiles/hatebm_core.dir/src/data/dataset.c.o.d"
  "/work/main/src/dist/dist.c" "CMakeFiles/hatebm_core.dir/src/dist/dist.c.o" "gcc" "CMakeFiles/hatebm_core.dir/src/dist/dist.c.o.d"
  "/work/main/src/eval/auroc.c" "CMakeFiles/hatebm_core.dir/src/eval/auroc.c.o" "gcc" "CMakeFiles/hatebm_core.dir/src/eval/auroc.c.o.d"
  "/work/main/src/eval/fid.c" "CMakeFiles/hatebm_core.dir/src/eval/fid.c.o" "gcc" "CMakeFiles/hatebm_core.dir/src/eval/fid.c.o.d"
  "/work/main/src/eval/fid_npz.c" "CMakeFiles/hatebm_core.dir/src/eval/fid_npz.c.o" "gcc" "CMakeFiles/hatebm_core.dir/src/eval/fid_npz.c.o.d"
  "/work/main/src/eval/inception.c" "CMakeFiles/hatebm_core.dir/src/eval/inception.c.o" "gcc" "CMakeFiles/hatebm_core.dir/src/eval/inception.c.o.d"
  "/work/main/src/eval/ood_score.c" "CMakeFiles/hatebm_core.dir/src/eval/ood_score.c.o" "gcc" "CMakeFiles/hatebm_core.dir/src/eval/ood_score.c.o.d"
  "/work/main/src/io/files.c" "CMakeFiles/hatebm_core.dir/src/io/files.c.o" "gcc" "CMakeFiles/hatebm_core.dir/src/io/files.c.o.d"
  "/work/main/src/io/npy.c" "CMakeFiles/hatebm_core.dir/src/io/npy.c.o" "gcc" "CMakeFiles/hatebm_core.dir/src/io/npy.c.o.d"
  "/work/main/src/io/npz.c" "CMakeFiles/hatebm_core.dir/src/io/npz.c.o" "gcc" "CMakeFiles/hatebm_core.dir/src/io/npz.c.o.d"
  "/work/main/src/io/safetensors.c" "CMakeFiles/hatebm_core.dir/src/io/safetensors.c.o" "gcc" "CMakeFiles/hatebm_core.dir/src/io/safetensors.c.o.d"
  "/work/main/src/nn/fusion.c" "CMakeFiles/hatebm_core.dir/src/nn/fusion.c.o" "gcc" "CMakeFiles/hatebm_core.dir/src/nn/fusion.c.o.d"
  "/work/main/src/nn/graph.c" "CMakeFiles/hatebm_core.dir/src/nn/graph.c.o" "gcc" "CMakeFiles/hatebm_core.dir/src/nn/graph.c.o.d"
  "/work/main/src/nn/models.c" "CMakeFiles/hatebm_core.dir/src/nn/models.c.o" "gcc" "CMakeFiles/hatebm_core.dir/src/nn/models.c.o.d"
  "/work/main/src/ops/adam.c" "CMakeFiles/hatebm_core.dir/src/ops/adam.c.o" "gcc" "CMakeFiles/hatebm_core.dir/src/ops/adam.c.o.d"
  "/work/main/src/ops/conv2d.c" "CMakeFiles/hatebm_core.dir/src/ops/conv2d.c.o" "gcc" "CMakeFiles/hatebm_core.dir/src/ops/conv2d.c.o.d"
  "/work/main/src/ops/conv2d_general.c" "CMakeFiles/hatebm_core.dir/src/ops/conv2d_general.c.o" "gcc" "CMakeFiles/hatebm_core.dir/src/ops/conv2d_general.c.o.d"
  "/work/main/src/ops/eltwise.c" "CMakeFiles/hatebm_core.dir/src/ops/eltwise.c.o" "gcc" "CMakeFiles/hatebm_core.dir/src/ops/eltwise.c.o.d"
  "/work/main/src/ops/langevin.c" "CMakeFiles/hatebm_core.dir/src/ops/langevin.c.o" "gcc" "CMakeFiles/hatebm_core.dir/src/ops/langevin.c.o.d"
  "/work/main/src/ops/linear.c" "CMakeFiles/hatebm_core.dir/src/ops/linear.c.o" "gcc" "CMakeFiles/hatebm_core.dir/src/ops/linear.c.o.d"
  "/work/main/src/ops/mse.c" "CMakeFiles/hatebm_core.dir/src/ops/mse.c.o" "gcc" "CMakeFiles/hatebm_core.dir/src/ops/mse.c.o.d"
  "/work/main/src/ops/op_common.c" "CMakeFiles/hatebm_core.dir/src/ops/op_common.c.o" "gcc" "CMakeFiles/hatebm_core.dir/src/ops/op_common.c.o.d"
  "/work/main/src/ops/pool.c" "CMakeFiles/hatebm_core.dir/src/ops/pool.c.o" "gcc" "CMakeFiles/hatebm_core.dir/src/ops/pool.c.o.d"
  "/work/main/src/ops/pool2d.c" "CMakeFiles/hatebm_core.dir/src/ops/pool2d.c.o" "gcc" "CMakeFiles/hatebm_core.dir/src/ops/pool2d.c.o.d"
  "/work/main/src/ops/reduce.c" "CMakeFiles/hatebm_core.dir/src/ops/reduce.c.o" "gcc" "CMakeFiles/hatebm_core.dir/src/ops/reduce.c.o.d"
  "/work/main/src/ops/resize.c" "CMakeFiles/hatebm_core.dir/src/ops/resize.c.o" "gcc" "CMakeFiles/hatebm_core.dir/src/ops/resize.c.o.d"
  "/work/main/src/ops/rng.c" "CMakeFiles/hatebm_core.dir/src/ops/rng.c.o" "gcc" "CMakeFiles/hatebm_core.dir/src/ops/rng.c.o.d"
  "/work/main/src/ops/rows.c" "CMakeFiles/hatebm_core.dir/src/ops/rows.c.o" "gcc" "CMakeFiles/hatebm_core.dir/src/ops/rows.c.o.d"
  "/work/main/src/ops/sphere.c" "CMakeFiles/hatebm_core.dir/src/ops/sphere.c.o" "gcc" "CMakeFiles/hatebm_core.dir/src/ops/sphere.c.o.d"
  "/work/main/src/ops/upsample.c" "CMakeFiles/hatebm_core.dir/src/ops/upsample.c.o" "gcc" "CMakeFiles/hatebm_core.dir/src/ops/upsample.c.o.d"
  "/work/main/src/ops/xent.c" "CMakeFiles/hatebm_core.dir/src/ops/xent.c.o" "gcc" "CMakeFiles/hatebm_core.dir/src/ops/xent.c.o.d"
  "/work/main/src/ref/ref_adam.c" "CMakeFiles/hatebm_core.dir/src/ref/ref_adam.c.o" "gcc" "CMakeFiles/hatebm_core.dir/src/ref/ref_adam.c.o.d"
  "/work/main/src/ref/ref_conv2d.c" "CMakeFiles/hatebm_core.dir/src/ref/ref_conv2d.c.o" "gcc" "CMakeFiles/hatebm_core.dir/src/ref/ref_conv2d.c.o.d"
  "/work/main/src/ref/ref_eltwise.c" "CMakeFiles/hatebm_core.dir/src/ref/ref_eltwise.c.o" "gcc" "CMakeFiles/hatebm_core.dir/src/ref/ref_eltwise.c.o.d"
  "/work/main/src/ref/ref_langevin.c" "CMakeFiles/hatebm_core.dir/src/ref/ref_langevin.c.o" "gcc" "CMakeFiles/hatebm_core.dir/src/ref/ref_langevin.c.o.d"
  "/work/main/src/ref/ref_linear.c" "CMakeFiles/hatebm_core.dir/src/ref/ref_linear.c.o" "gcc" "CMakeFiles/hatebm_core.dir/src/ref/ref_linear.c.o.d"
  "/work/main/src/ref/ref_mse.c" "CMakeFiles/hatebm_core.dir/src/ref/ref_mse.c.o" "gcc" "CMakeFiles/hatebm_core.dir/src/ref/ref_mse.c.o.d"
  "/work/main/src/ref/ref_pool.c" "CMakeFiles/hatebm_core.dir/src/ref/ref_pool.c.o" "gcc" "CMakeFiles/hatebm_core.dir/src/ref/ref_pool.c.o.d"
  "/work/main/src/ref/ref_reduce.c" "CMakeFiles/hatebm_core.dir/src/ref/ref_reduce.c.o" "gcc" "CMakeFiles/hatebm_core.dir/src/ref/ref_reduce.c.o.d"
  "/work/main/src/ref/ref_rng.c" "CMakeFiles/hatebm_core.dir/src/ref/ref_rng.c.o" "gcc" "CMakeFiles/hatebm_core.dir/src/ref/ref_rng.c.o.d"
  "/work/main/src/ref/ref_rows.c" "CMakeFiles/hatebm_core.dir/src/ref/ref_rows.c.o" "gcc" "CMakeFiles/hatebm_core.dir/src/ref/ref_rows.c.o.d"
  "/work/main/src/ref/ref_sphere.c" "CMakeFiles/hatebm_core.dir/src/ref/ref_sphere.c.o" "gcc" "CMakeFiles/hatebm_core.dir/src/ref/ref_sphere.c.o.d"
  "/work/main/src/ref/ref_upsample.c" "CMakeFiles/hatebm_core.dir/src/ref/ref_upsample.c.o" "gcc" "CMakeFiles/hatebm_core.dir/src/ref/ref_upsample.c.o.d"
  "/work/main/src/ref/ref_xent.c" "CMakeFiles/hatebm_core.dir/src/ref/ref_xent.c.o" "gcc" "CMakeFiles/hatebm_core.dir/src/ref/ref_xent.c.o.d"
  "/work/main/src/train/chain.c" "CMakeFiles/hatebm_core.dir/src/train/chain.c.o" "gcc" "CMakeFiles/hatebm_core.dir/src/train/chain.c.o.d"
  "/work/main/src/train/checkpoint.c" "CMakeFiles/hatebm_core.dir/src/train/checkpoint.c.o" "gcc" "CMakeFiles/hatebm_core.dir/src/train/checkpoint.c.o.d"
  "/work/main/src/train/classifier.c" "CMakeFiles/hatebm_core.dir/src/train/classifier.c.o" "gcc" "CMakeFiles/hatebm_core.dir/src/train/classifier.c.o.d"
  "/work/main/src/train/grid.c" "CMakeFiles/hatebm_core.dir/src/train/grid.c.o" "gcc" "CMakeFiles/hatebm_core.dir/src/train/grid.c.o.d"
  "/work/main/src/train/optim.c" "CMakeFiles/hatebm_core.dir/src/train/optim.c.o" "gcc" "CMakeFiles/hatebm_core.dir/src/train/optim.c.o.d"
  "/work/main/src/train/sampler.c" "CMakeFiles/hatebm_core.dir/src/train/sampler.c.o" "gcc" "CMakeFiles/hatebm_core.dir/src/train/sampler.c.o.d"
  "/work/main/src/train/trainer.c" "CMakeFiles/hatebm_core.dir/src/train/trainer.c.o" "gcc" "CMakeFiles/hatebm_core.dir/src/train/trainer.c.o.d"
  "/work/main/src/vk/vk_cmd.c" "CMakeFiles/hatebm_core.dir/src/vk/vk_cmd.c.o" "gcc" "CMakeFiles/hatebm_core.dir/src/vk/vk_cmd.c.o.d"
  "/work/main/src/vk/vk_device.c" "CMakeFiles/hatebm_core.dir/src/vk/vk_device.c.o" "gcc" "CMakeFiles/hatebm_core.dir/src/vk/vk_device.c.o.d"
  "/work/main/src/vk/vk_memory.c" "CMakeFiles/hatebm_core.dir/src/vk/vk_memory.c.o" "gcc" "CMakeFiles/hatebm_core.dir/src/vk/vk_memory.c.o.d"
  "/work/main/src/vk/vk_pipeline.c" "CMakeFiles/hatebm_core.dir/src/vk/vk_pipeline.c.o" "gcc" "CMakeFiles/hatebm_core.dir/src/vk/vk_pipeline.c.o.d"
  "/work/main/src/vk/vk_profile.c" "CMakeFiles/hatebm_core.dir/src/vk/vk_profile.c.o" "gcc" "CMakeFiles/hatebm_core.dir/src/vk/vk_profile.c.o.d"
  )

# Targets to which this target links.
set(CMAKE_TARGET_LINKED_INFO_FILES
  )

# Fortran module output directory.
set(CMAKE_Fortran_TARGET_MODULE_DIR "")
