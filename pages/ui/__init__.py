"""What several pages draw the same way: the sign-in gate (``gate``), the run's service and acting
person (``run``), booking cards and forms (``booking``), the payment panel (``payment``) and
one-shot messages (``flash``)."""
