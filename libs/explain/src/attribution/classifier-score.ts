/**
 * The classifier as a function of unit-range images, for attributions: resize to the model's
 * input and normalise as it was trained (its card), then P(class) = sigmoid(logit) for the
 * positive class, 1 − sigmoid(logit) for the negative one (REFERENCE §7.3's model function).
 */
import type { ClassifierCard } from '@dermagan/classifier';
import type { Tf } from '@dermagan/tf';
import type { ScoreFunction } from './integrated-gradients.ts';

type LayersModel = import('@tensorflow/tfjs').LayersModel;
type Tensor = import('@tensorflow/tfjs').Tensor;
type Tensor4D = import('@tensorflow/tfjs').Tensor4D;

/** Unit-range images → the model's normalised input. */
export function modelInput(tf: Tf, card: Pick<ClassifierCard, 'inputSize' | 'normalization'>, images: Tensor4D): Tensor4D {
  const resized = images.shape[1] === card.inputSize ? images : tf.image.resizeBilinear(images, [card.inputSize, card.inputSize], true);
  return tf.div(tf.sub(resized, tf.tensor1d([...card.normalization.mean])), tf.tensor1d([...card.normalization.std])) as Tensor4D;
}

/** P(target class | image) as a differentiable score (inference mode: no dropout). */
export function classifierScore(tf: Tf, model: LayersModel, card: Pick<ClassifierCard, 'inputSize' | 'normalization'>, target: 0 | 1): ScoreFunction {
  return (images) => {
    const logit = (model.apply(modelInput(tf, card, images), { training: false }) as Tensor).reshape([-1]);
    const p = tf.sigmoid(logit);
    return target === 1 ? p : tf.sub(1, p);
  };
}
