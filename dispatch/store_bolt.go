package dispatch

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

var (
	bucketDeliveries = []byte("deliveries")
	bucketBodies     = []byte("bodies")
)

// maxCommitBatch bounds the changes written in one transaction.
const maxCommitBatch = 2048

// BoltStore keeps deliveries in a bbolt file. One goroutine writes: it
// gathers the changes that arrive while the previous transaction commits and
// writes them in one transaction, so that many concurrent requests share
// one fsync (group commit).
type BoltStore struct {
	db      *bolt.DB
	changes chan boltChange
	done    chan struct{}

	// mu guards closed: senders hold it shared, Close exclusively, so
	// nothing is sent on the closed channel.
	mu        sync.RWMutex
	closed    bool
	closeOnce sync.Once
	closeErr  error
}

// boltChange is one change for the writer. result is nil for changes that
// the caller does not wait for.
type boltChange struct {
	put     bool
	bodies  map[string][]byte
	records map[string][]byte
	deletes []string
	result  chan error
}

// OpenBoltStore opens or creates the store file at path.
func OpenBoltStore(path string) (*BoltStore, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("creating the folder of delivery queue %s: %v", path, err)
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: 5 * time.Second})
	if err != nil {
		if errors.Is(err, bolt.ErrTimeout) {
			return nil, fmt.Errorf("opening delivery queue %s: the file is locked by another process; two Caddy instances cannot share one data directory, and caddy validate cannot check a configuration against the data directory of a running Caddy (use caddy reload, or validate before starting)", path)
		}
		return nil, fmt.Errorf("opening delivery queue %s: %v", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bucketDeliveries, bucketBodies} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("preparing delivery queue %s: %v", path, err)
	}
	s := &BoltStore{db: db, changes: make(chan boltChange, 4096), done: make(chan struct{})}
	go s.write()
	return s, nil
}

// Put stores new deliveries and returns once they are on disk.
func (s *BoltStore) Put(dels []*Delivery) error {
	return s.putAsync(dels)()
}

// putAsync queues new deliveries for the next commit and returns a function
// that waits until they are on disk. Changes are written in the order they
// are queued, so an Update queued after putAsync returned never reaches the
// file before the delivery itself.
func (s *BoltStore) putAsync(dels []*Delivery) (wait func() error) {
	c := boltChange{put: true, bodies: make(map[string][]byte, len(dels)), records: make(map[string][]byte, len(dels))}
	for _, d := range dels {
		b, err := json.Marshal(d)
		if err != nil {
			return func() error { return err }
		}
		c.records[d.ID] = b
		c.bodies[d.ID] = d.Body
	}
	c.result = make(chan error, 1)
	if err := s.send(c); err != nil {
		return func() error { return err }
	}
	return func() error { return <-c.result }
}

// Update queues a delivery's new record for the next commit.
func (s *BoltStore) Update(d *Delivery) error {
	b, err := json.Marshal(d)
	if err != nil {
		return err
	}
	return s.send(boltChange{records: map[string][]byte{d.ID: b}})
}

// Delete removes deliveries and waits until the removal is on disk.
func (s *BoltStore) Delete(ids []string) error {
	result := make(chan error, 1)
	if err := s.send(boltChange{deletes: ids, result: result}); err != nil {
		return err
	}
	return <-result
}

func (s *BoltStore) send(c boltChange) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return ErrQueueClosed
	}
	s.changes <- c
	return nil
}

func (s *BoltStore) write() {
	defer close(s.done)
	for first := range s.changes {
		batch := []boltChange{first}
	gather:
		for len(batch) < maxCommitBatch {
			select {
			case c, ok := <-s.changes:
				if !ok {
					break gather
				}
				batch = append(batch, c)
			default:
				break gather
			}
		}
		err := s.db.Update(func(tx *bolt.Tx) error {
			records, bodies := tx.Bucket(bucketDeliveries), tx.Bucket(bucketBodies)
			for _, c := range batch {
				for id, body := range c.bodies {
					if err := bodies.Put([]byte(id), body); err != nil {
						return err
					}
				}
				for id, rec := range c.records {
					if !c.put && records.Get([]byte(id)) == nil {
						// The delivery was purged meanwhile; an update
						// must not bring it back.
						continue
					}
					if err := records.Put([]byte(id), rec); err != nil {
						return err
					}
				}
				for _, id := range c.deletes {
					if err := records.Delete([]byte(id)); err != nil {
						return err
					}
					if err := bodies.Delete([]byte(id)); err != nil {
						return err
					}
				}
			}
			return nil
		})
		for _, c := range batch {
			if c.result != nil {
				c.result <- err
			}
		}
	}
}

// Get returns a delivery with its body.
func (s *BoltStore) Get(id string) (*Delivery, error) {
	var d *Delivery
	err := s.db.View(func(tx *bolt.Tx) error {
		rec := tx.Bucket(bucketDeliveries).Get([]byte(id))
		if rec == nil {
			return ErrNotFound
		}
		d = new(Delivery)
		if err := json.Unmarshal(rec, d); err != nil {
			return fmt.Errorf("delivery %s: stored record unreadable: %v", id, err)
		}
		d.Body = append([]byte(nil), tx.Bucket(bucketBodies).Get([]byte(id))...)
		return nil
	})
	return d, err
}

// Body returns a delivery's payload.
func (s *BoltStore) Body(id string) ([]byte, error) {
	var body []byte
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketBodies).Get([]byte(id))
		if b == nil {
			return ErrNotFound
		}
		body = append([]byte(nil), b...)
		return nil
	})
	return body, err
}

// Scan calls fn for each delivery in id order, which is creation order.
func (s *BoltStore) Scan(newestFirst bool, fn func(*Delivery) bool) error {
	return s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(bucketDeliveries).Cursor()
		k, v := c.First()
		step := c.Next
		if newestFirst {
			k, v = c.Last()
			step = c.Prev
		}
		for ; k != nil; k, v = step() {
			d := new(Delivery)
			if err := json.Unmarshal(v, d); err != nil {
				return fmt.Errorf("delivery %s: stored record unreadable: %v", k, err)
			}
			if !fn(d) {
				return nil
			}
		}
		return nil
	})
}

// Close writes the queued updates and closes the file.
func (s *BoltStore) Close() error {
	s.closeOnce.Do(func() {
		s.mu.Lock()
		s.closed = true
		close(s.changes)
		s.mu.Unlock()
		<-s.done
		s.closeErr = s.db.Close()
	})
	return s.closeErr
}
