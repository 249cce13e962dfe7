"""Human labelling studies: a tiny local web app that shows images to raters and stores answers.

The first study asks at which resolution humans can still tell day from night: the answer is a
floor for the input size of the day/night classifier (a model rarely beats people on this).
"""
