package io.sscmic.keysyn;

/** Which key of the receiver's state a frame's epoch header selects. */
public enum KeyRole {
  /** D = Tc - 1: the sender has not ticked yet (Kp). */
  PREVIOUS,
  /** D = Tc (Kn). */
  CURRENT,
  /** D = Tc + 1: the receiver has not ticked yet, R(Kn). */
  NEXT
}
