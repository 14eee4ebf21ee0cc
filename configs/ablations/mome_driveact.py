# MoME without HTL (Table 3): experts + token voting gate, classification
# loss only.
_base_ = ['../mome_htl_driveact.py']

model = dict(htl_loss=None)
