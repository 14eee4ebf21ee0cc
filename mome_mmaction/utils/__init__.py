from .mmaction_tools import mmaction_tool_path, run_mmaction_tool
from .safe_checkpoint import (CHECKPOINT_SAFE_GLOBALS, UnsafeCheckpointError,
                              load_checkpoint_weights_only,
                              register_weights_only_loader)
from .stack_compat import apply_stack_fixes

__all__ = [
    'apply_stack_fixes', 'CHECKPOINT_SAFE_GLOBALS', 'UnsafeCheckpointError',
    'load_checkpoint_weights_only', 'mmaction_tool_path',
    'register_weights_only_loader', 'run_mmaction_tool'
]
