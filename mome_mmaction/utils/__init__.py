from .atomic_local_backend import (AtomicLocalBackend,
                                   register_atomic_local_backend)
from .mmaction_tools import mmaction_tool_path, run_mmaction_tool
from .modalities import (build_data_preprocessor, check_input_keys,
                         modality_array, normalize_modalities)
from .safe_checkpoint import (CHECKPOINT_SAFE_GLOBALS, CorruptCheckpointError,
                              UnsafeCheckpointError,
                              load_checkpoint_weights_only,
                              register_weights_only_loader)
from .safe_pickle import (PICKLE_SAFE_GLOBALS, UnsafePickleError,
                          load_pickle_safely, register_safe_pickle_handler)
from .stack_compat import apply_stack_fixes

__all__ = [
    'AtomicLocalBackend', 'register_atomic_local_backend', 'apply_stack_fixes',
    'build_data_preprocessor', 'check_input_keys', 'modality_array',
    'normalize_modalities', 'CHECKPOINT_SAFE_GLOBALS',
    'CorruptCheckpointError', 'UnsafeCheckpointError',
    'load_checkpoint_weights_only', 'load_pickle_safely', 'mmaction_tool_path',
    'PICKLE_SAFE_GLOBALS', 'register_safe_pickle_handler',
    'register_weights_only_loader', 'run_mmaction_tool', 'UnsafePickleError'
]
