"""Around the day's job: the demo workspace and the blank templates reps fill."""
