# anchor_semantic_synthetic.py with the anchors also attending to each
# expert's output token (its temporal decoder's summary), one more slot per
# camera: pred.anchor_attention is (4 anchors, 3 cameras, 8 frames + 1).
_base_ = ['./anchor_semantic_synthetic.py']

model = dict(cls_head=dict(attend_expert_outputs=True))
