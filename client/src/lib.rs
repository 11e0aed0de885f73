//! Device-side client for AWS IoT Core; grows in issue #6.
