"""forgectl's moto plug-in: a local AWS emulator for the dev stack.

moto (https://github.com/getmoto/moto) provides EC2, ECR, Auto Scaling, SSM,
IAM, ELBv2 ... out of the box.  Its MSK ("kafka") backend is thin, so this
package *extends* it (subclasses, no fork) with the behaviours forgectl needs:
cluster lifecycle with delays, bootstrap brokers that point at the real local
Kafka, broker updates and cluster operations, MSK configurations and the MSK
topic API backed by the real local Kafka.

Entry point: ``python -m moto_plugin --host 127.0.0.1 --port 25000``
(``dev/stack up`` does this).  See README.md in this directory.
"""

__all__ = ["__version__"]

__version__ = "0.1.0"
