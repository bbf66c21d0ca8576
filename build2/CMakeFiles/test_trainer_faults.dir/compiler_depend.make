# Empty compiler generated dependencies file for test_trainer_faults.
# This may be replaced when dependencies are built.
