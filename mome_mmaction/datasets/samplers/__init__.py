from .sample_seeded_sampler import (SampleSeededSampler, SeededIndex,
                                    sample_seed)

__all__ = ['SampleSeededSampler', 'SeededIndex', 'sample_seed']
