"""The original musicnn, run as its authors wrote it, as the reference the Keras port (`genre_nbdev.pretrained`) must equal.

Two steps, in two environments:

1. `reference`: in a throwaway venv outside the project, run the wheel's own TF1 graph on audio files and save its
   outputs. The venv (the original needs `tf-keras` and graph mode under TensorFlow 2):

       python3 -m venv /tmp/mnref
       /tmp/mnref/bin/pip install 'tensorflow==2.21.*' 'tf-keras==2.21.*' librosa soundfile
       /tmp/mnref/bin/pip install --no-deps musicnn==0.1.0
       TF_USE_LEGACY_KERAS=1 /tmp/mnref/bin/python benchmarks/musicnn_reference.py reference /tmp/mnref-out FILE...

2. `compare`: in the project venv, run the port on the same files and write the largest absolute difference of
   every output for every file to a JSON file:

       python benchmarks/musicnn_reference.py compare /tmp/mnref-out -o nbs/results/musicnn_parity.json

   (`keras_batchnorm` in that file: the same comparison with Keras's own `BatchNormalization` in the port.)

3. `demo`: keep a small part of one synthetic demo track's reference as the committed test file:

       python benchmarks/musicnn_reference.py demo /tmp/mnref-demo/metal.00000.npz nbs/results/musicnn_reference_demo.npz

The one change to the original: `extractor.batch_data` casts the mel spectrogram to float16 before
`log10(10000 x + 1)`, which overflows on loud music; here it stays float32, as in the port.
"""
import json, sys
from pathlib import Path
import numpy as np

MODELS = ('MSD_musicnn', 'MTT_musicnn')
OUTPUTS = ('taggram', 'max_pool', 'mean_pool', 'penultimate')

def batch_data(path, n_frames=187):
    "The original's `extractor.batch_data` with the float16 cast removed: non-overlapping log-mel patches."
    import librosa
    from musicnn import configuration as config
    audio, sr = librosa.load(path, sr=config.SR)
    rep = librosa.feature.melspectrogram(y=audio, sr=sr, hop_length=config.FFT_HOP, n_fft=config.FFT_SIZE,
                                         n_mels=config.N_MELS).T
    rep = np.log10(10000*rep.astype(np.float32) + 1)
    n = (rep.shape[0] - n_frames)//n_frames + 1
    return np.stack([rep[i*n_frames:(i+1)*n_frames] for i in range(n)])

def original(model, patches):
    "The outputs of the wheel's TF1 graph `model` for a batch of log-mel patches."
    import os, tensorflow as tf, musicnn
    from musicnn import models, configuration as config
    tf.compat.v1.disable_eager_execution()
    tf.compat.v1.reset_default_graph()
    labels = config.MSD_LABELS if 'MSD' in model else config.MTT_LABELS
    with tf.name_scope('model'):
        x = tf.compat.v1.placeholder(tf.float32, [None, patches.shape[1], config.N_MELS])
        is_training = tf.compat.v1.placeholder(tf.bool)
        y, _, _, _, _, _, mean_pool, max_pool, penultimate = models.define_model(x, is_training, model, len(labels))
        taggram = tf.nn.sigmoid(y)
    with tf.compat.v1.Session() as sess:
        tf.compat.v1.train.Saver().restore(sess, os.path.dirname(musicnn.__file__) + f'/{model}/')
        out = sess.run([taggram, max_pool, mean_pool, penultimate], {x: patches, is_training: False})
    return dict(zip(OUTPUTS, out))

def reference(out_dir, files):
    "Save, for each file, its patches and every model's outputs to `out_dir/<stem>.npz` (the stem names it in `compare`)."
    out_dir = Path(out_dir); out_dir.mkdir(parents=True, exist_ok=True)
    for f in files:
        p = batch_data(f)
        arrays = dict(patches=p, path=np.array(str(f)))
        for m in MODELS: arrays.update({f'{m}/{k}': v for k, v in original(m, p).items()})
        np.savez_compressed(out_dir/f'{Path(f).stem}.npz', **arrays)
        print(f, p.shape, flush=True)

def demo_reference(ref, out, n=3):
    "Keep the first `n` patches' outputs of one demo track's reference, without its input, as the project's test file."
    r = np.load(ref)
    keep = {k: r[k][:n] for k in r.files if '/' in k}
    np.savez_compressed(out, path=np.array('demo_dataset()/' + '/'.join(Path(str(r['path'])).parts[-3:])), **keep)

def compare(ref_dir, out):
    "Run the port on every reference file and write the largest absolute differences to `out`."
    from keras.layers import BatchNormalization
    from genre_nbdev.pretrained import reference_diffs
    refs = sorted(Path(ref_dir).glob('*.npz'))
    res = {'port': {r.stem: reference_diffs(r) for r in refs},  # as shipped
           'keras_batchnorm': {r.stem: reference_diffs(r, norm=BatchNormalization) for r in refs}}
    Path(out).write_text(json.dumps(res, indent=1) + '\n')
    print(json.dumps(res, indent=1))

if __name__ == '__main__':
    cmd, *args = sys.argv[1:]
    if cmd == 'reference': reference(args[0], args[1:])
    elif cmd == 'compare': compare(args[0], args[args.index('-o')+1])
    elif cmd == 'demo': demo_reference(args[0], args[1])
    else: sys.exit(f"unknown step {cmd!r}: use reference or compare")
