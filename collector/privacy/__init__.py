"""Privacy jobs: erasing a person from the profile store, the lake and failed records.

``requests`` creates a job (Profile Access API ``DELETE``, ``collector profiles erase``);
``jobs`` stores and renders them (AEP Privacy Service job objects); ``runner`` carries them out
inside the projector process; ``lakescrub`` rewrites lake segments without the person;
``routes`` serves ``/data/core/privacy/jobs``; ``cli`` offers ``collector privacy jobs|show``.
The erasure ledger that keeps an erased person out of later projections is
``collector/profile/ledger.py``.
"""
